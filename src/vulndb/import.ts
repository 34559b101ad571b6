/**
 * `portwarden db import`: OSV JSON/YAML files, directories of them, OSV.dev `all.zip` exports,
 * JSON Lines (optionally gzip'ed), and native distro feeds (Debian tracker JSON, DSA/DLA lists,
 * Alpine secdb) → a new index file swapped in atomically. Bad records are counted per file and the
 * import goes on; a file that cannot be read at all is reported the same way.
 */
import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { UserInputError } from '../util/errors.ts';
import { parseAlpineSecdb } from './feeds/alpine.ts';
import { parseDebianList, parseDebianTrackerJson } from './feeds/debian.ts';
import type { FeedResult } from './feeds/types.ts';
import { validateOsvRecord } from './osv.ts';
import type { OsvRecord } from './osv.ts';
import { IndexBuilder } from './index-builder.ts';
import type { BuildResult, UpsertMode } from './index-builder.ts';
import { defaultDbPath } from './store.ts';
import type { SourceRow } from './store.ts';
import { fileSource, listZipEntries, readZipEntry } from '../util/zip.ts';

/** One advisory file's outcome. `invalid` lists what was skipped and why (bounded to keep reports small). */
export interface FileReport {
  file: string;
  format: string;
  records: number;
  withdrawn: number;
  invalidCount: number;
  invalid: { id?: string; reason: string }[];
}

export interface ImportSummary extends BuildResult {
  files: FileReport[];
  records: number;
  invalid: number;
}

export interface ImportOptions {
  dbPath?: string;
  /** Start from an empty index instead of merging into the existing one. */
  replace?: boolean;
  /** Per-file and per-zip-entry size limit (bytes); default 256 MiB. */
  maxFileSize?: number;
  /** Source metadata recorded per top-level path (used by `db update`). */
  sourceFor?: (inputPath: string) => Partial<SourceRow> & { name: string };
  /** Sources whose previous records are dropped before this import (a fresh full export replaces them). */
  dropSources?: string[];
}

const MAX_INVALID_LISTED = 50;
const DEFAULT_MAX_FILE = 256 * 1024 * 1024;

type Sink = (record: OsvRecord, mode: UpsertMode) => void;

class FileCounter {
  readonly report: FileReport;
  constructor(file: string, format: string) {
    this.report = { file, format, records: 0, withdrawn: 0, invalidCount: 0, invalid: [] };
  }
  bad(reason: string, id?: string): void {
    this.report.invalidCount++;
    if (this.report.invalid.length < MAX_INVALID_LISTED) this.report.invalid.push(id ? { id, reason } : { reason });
  }
}

function feedInto(result: FeedResult, counter: FileCounter, sink: Sink): void {
  for (const bad of result.invalid) counter.bad(bad.reason, bad.id);
  for (const record of result.records) {
    sink(record, 'merge-affected');
    counter.report.records++;
  }
}

function osvInto(raw: unknown, counter: FileCounter, sink: Sink, where?: string): void {
  const v = validateOsvRecord(raw);
  if (!v.ok) {
    counter.bad(where ? `${where}: ${v.reason}` : v.reason, v.id);
    return;
  }
  sink(v.record, 'replace');
  counter.report.records++;
  if (v.record.withdrawn) counter.report.withdrawn++;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Tracker JSON is `{pkg: {CVE-…: {releases: …}}}`; an OSV record has `id` and `modified`. */
function looksLikeDebianTracker(doc: Record<string, unknown>): boolean {
  for (const value of Object.values(doc)) {
    if (!isObject(value)) continue;
    for (const [k, v] of Object.entries(value)) return /^(CVE|TEMP)-/.test(k) && isObject(v);
  }
  return false;
}

/** Parses one JSON/YAML document of unknown kind and routes it to the right converter. */
function documentInto(text: string, name: string, modified: string, counter: FileCounter, sink: Sink): void {
  const yaml = /\.ya?ml$/i.test(name);
  let doc: unknown;
  try {
    // failsafe keeps every YAML scalar a string: versions like `1.10` must not become numbers.
    doc = yaml ? parseYaml(text, { schema: 'failsafe', maxAliasCount: 100 }) : JSON.parse(text);
  } catch (err) {
    counter.bad(`cannot parse ${yaml ? 'YAML' : 'JSON'}: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  if (Array.isArray(doc)) {
    counter.report.format = 'osv';
    for (const [i, item] of doc.entries()) osvInto(item, counter, sink, `[${i}]`);
    return;
  }
  if (isObject(doc) && typeof doc.distroversion === 'string') {
    counter.report.format = 'alpine-secdb';
    feedInto(parseAlpineSecdb(text, modified), counter, sink);
    return;
  }
  if (isObject(doc) && !('id' in doc) && looksLikeDebianTracker(doc)) {
    counter.report.format = 'debian-tracker';
    feedInto(parseDebianTrackerJson(text, modified), counter, sink);
    return;
  }
  counter.report.format = 'osv';
  osvInto(doc, counter, sink);
}

async function jsonLinesInto(file: string, gz: boolean, counter: FileCounter, sink: Sink, maxLine: number): Promise<void> {
  const stream = createReadStream(file);
  const input = gz ? stream.pipe(createGunzip({ chunkSize: 1 << 17 })) : stream;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      if (line.length > maxLine) {
        counter.bad(`line ${lineNo}: ${line.length} characters, over the limit`);
        continue;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (err) {
        counter.bad(`line ${lineNo}: not JSON: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      osvInto(raw, counter, sink, `line ${lineNo}`);
    }
  } catch (err) {
    counter.bad(`read failed after line ${lineNo}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function zipInto(file: string, counter: FileCounter, sink: Sink, maxEntry: number): void {
  const src = fileSource(file);
  try {
    let entries;
    try {
      entries = listZipEntries(src);
    } catch (err) {
      counter.bad(`corrupt zip: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const modified = statSync(file).mtime.toISOString();
    for (const entry of entries) {
      if (entry.name.endsWith('/') || !/\.(json|ya?ml)$/i.test(entry.name)) continue;
      let data: Buffer;
      try {
        data = readZipEntry(src, entry, maxEntry);
      } catch (err) {
        counter.bad(err instanceof Error ? err.message : String(err), entry.name);
        continue;
      }
      const before = counter.report.format;
      documentInto(data.toString('utf8'), entry.name, modified, counter, sink);
      counter.report.format = before;
    }
  } finally {
    src.close();
  }
}

function isDebianListName(file: string): 'DSA' | 'DLA' | undefined {
  const base = path.basename(file);
  const parent = path.basename(path.dirname(file));
  const m = /^(DSA|DLA)(\.list)?$/.exec(base) ?? (base === 'list' ? /^(DSA|DLA)$/.exec(parent) : null);
  return (m?.[1] as 'DSA' | 'DLA' | undefined) ?? undefined;
}

const SKIP_NAMES = /^(readme|license|copying|sources)(\.\w+)?$/i;

/** Files a directory import considers, sorted for a deterministic result. */
export function listAdvisoryFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || entry.name.startsWith('_') || SKIP_NAMES.test(entry.name)) continue;
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && (/\.(json|ya?ml|jsonl|jsonl\.gz|zip|list)$/i.test(entry.name) || isDebianListName(full))) out.push(full);
    }
  };
  walk(dir);
  return out;
}

/** Reads one advisory file into the sink; never throws for bad content (that is reported in the FileReport). */
export async function readAdvisoryFile(file: string, sink: Sink, maxSize = DEFAULT_MAX_FILE): Promise<FileReport> {
  const lower = file.toLowerCase();
  const listKind = isDebianListName(file);
  const format = lower.endsWith('.zip') ? 'osv-zip' : /\.jsonl(\.gz)?$/.test(lower) ? 'osv-jsonl' : listKind ? `debian-${listKind.toLowerCase()}-list` : 'osv';
  const counter = new FileCounter(file, format);
  try {
    const size = statSync(file).size;
    if (format === 'osv-jsonl') await jsonLinesInto(file, lower.endsWith('.gz'), counter, sink, maxSize);
    // Zips are read at offsets (bounded memory), so only the per-entry limit applies to them.
    else if (format !== 'osv-zip' && size > maxSize) counter.bad(`file is ${size} bytes, over the ${maxSize}-byte limit`);
    else if (format === 'osv-zip') zipInto(file, counter, sink, maxSize);
    else if (listKind) feedInto(parseDebianList(readFileSync(file, 'utf8'), listKind), counter, sink);
    else if (lower.endsWith('.list')) feedInto(parseDebianList(readFileSync(file, 'utf8'), 'DSA'), counter, sink);
    else documentInto(readFileSync(file, 'utf8'), file, statSync(file).mtime.toISOString(), counter, sink);
  } catch (err) {
    counter.bad(`cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
  return counter.report;
}

/**
 * Imports advisory files into the index at `dbPath`. By default the new index starts from the
 * existing one (records with the same id are replaced by the newer `modified`); `replace` starts
 * empty. The new file is renamed over the old one only when everything has been written.
 */
export async function importAdvisories(paths: string[], options: ImportOptions = {}): Promise<ImportSummary> {
  const dbPath = path.resolve(options.dbPath ?? defaultDbPath());
  for (const p of paths) if (!existsSync(p)) throw new UserInputError(`no such file or directory: ${p}`);
  const base = !options.replace && existsSync(dbPath) ? dbPath : undefined;
  const builder = new IndexBuilder(dbPath, { base });
  const files: FileReport[] = [];
  try {
    for (const name of options.dropSources ?? []) builder.deleteSource(name);
    for (const input of paths) {
      const source = options.sourceFor?.(input) ?? { name: `file:${path.resolve(input)}` };
      const sink: Sink = (record, mode) => void builder.upsert(record, source.name, mode);
      const list = statSync(input).isDirectory() ? listAdvisoryFiles(input) : [input];
      let records = 0;
      let invalid = 0;
      const formats = new Set<string>();
      for (const file of list) {
        const report = await readAdvisoryFile(file, sink, options.maxFileSize);
        files.push(report);
        records += report.records;
        invalid += report.invalidCount;
        formats.add(report.format);
      }
      builder.setSource({ ...source, format: source.format ?? [...formats].join(','), records, invalid, imported_at: new Date().toISOString() });
    }
    const built = builder.commit();
    return { ...built, files, records: files.reduce((n, f) => n + f.records, 0), invalid: files.reduce((n, f) => n + f.invalidCount, 0) };
  } catch (err) {
    builder.abort();
    throw err;
  }
}
