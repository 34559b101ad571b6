/**
 * The OSV ecosystems found in scanned images, remembered so that `db update` without `--ecosystem`
 * downloads only the exports those images need (OSV.dev's full export is far larger than, say, the
 * Debian and npm ones an installation actually uses).
 *
 * The record is a small JSON file next to the advisory index (`$PORTWARDEN_HOME/db/seen-ecosystems.json`
 * by default), so scans and updates that share a `--db` share the record. It is derived data: a
 * corrupt or unreadable file is a warning and counts as empty, never a failed scan or update, and the
 * next scan writes a fresh one. Writes go to a temporary file renamed over the old one, so a reader
 * never sees half a file. Two processes recording at the same moment may lose one's addition (last
 * rename wins); the next scan of that image records it again.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Package, OSInfo } from '../model/inventory.ts';
import { errorMessage } from '../util/errors.ts';
import { ecosystemBase } from './names.ts';
import { defaultDbPath } from './store.ts';

export const SEEN_ECOSYSTEMS_FILE = 'seen-ecosystems.json';
const FORMAT = 'portwarden-seen-ecosystems';
/** More than any installation has; bounds what a hostile SBOM's made-up ecosystems can add. */
const MAX_ECOSYSTEMS = 200;
const MAX_SEEN_AS = 50;
/** OSV ecosystem names are short words (`crates.io`, `Rocky Linux`, `Debian:12`); anything else is not one. */
const PLAUSIBLE_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._+-]{0,63}$/;

export interface SeenEcosystem {
  /** The name of OSV.dev's per-ecosystem export (`Debian`, `npm`). */
  name: string;
  /** The inventory ecosystems it was recorded from (`Debian:11`, `Debian:12`). */
  seen_as: string[];
  /** Days (`YYYY-MM-DD`, UTC). */
  first_seen: string;
  last_seen: string;
}

export interface SeenEcosystems {
  file: string;
  ecosystems: SeenEcosystem[];
  /** Set when the file exists but could not be used; the list is then empty. */
  warning?: string;
}

/** The record next to an advisory index: `$PORTWARDEN_HOME/db/seen-ecosystems.json` for the default one. */
export function seenEcosystemsPath(dbPath: string = defaultDbPath()): string {
  return path.join(path.dirname(path.resolve(dbPath)), SEEN_ECOSYSTEMS_FILE);
}

/**
 * The name of OSV.dev's export that holds an ecosystem's advisories. OSV.dev publishes one export
 * per distribution with every release in it (`Debian/all.zip` for `Debian:12`, `Alpine/all.zip` for
 * `Alpine:v3.19`, `Ubuntu/all.zip` for `Ubuntu:22.04:LTS`); per-release exports were withdrawn in
 * October 2024. Language ecosystems are their own export (`npm`, `PyPI`). Undefined for an empty or
 * implausible name.
 */
export function osvExportName(ecosystem: string): string | undefined {
  const base = ecosystemBase(ecosystem.trim()).trim();
  return PLAUSIBLE_NAME.test(base) ? base : undefined;
}

/** The ecosystems of an inventory: every package's, plus the OS's (a distroless image may list no OS packages). */
export function inventoryEcosystems(inventory: { packages: Pick<Package, 'ecosystem'>[]; os?: Pick<OSInfo, 'ecosystem'> | undefined }): string[] {
  const found = new Set<string>();
  for (const p of inventory.packages) if (p.ecosystem) found.add(p.ecosystem);
  if (inventory.os?.ecosystem) found.add(inventory.os.ecosystem);
  return [...found].sort();
}

function isDay(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value);
}

function parseEntry(name: string, raw: unknown): SeenEcosystem | string {
  if (osvExportName(name) !== name) return `ecosystem name ${JSON.stringify(name)} is not an OSV export name`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return `entry ${JSON.stringify(name)} is not an object`;
  const e = raw as Record<string, unknown>;
  if (!Array.isArray(e.seen_as) || !e.seen_as.every((s) => typeof s === 'string')) return `entry ${JSON.stringify(name)}: seen_as is not a list of strings`;
  if (!isDay(e.first_seen) || !isDay(e.last_seen)) return `entry ${JSON.stringify(name)}: first_seen/last_seen are not YYYY-MM-DD dates`;
  return { name, seen_as: e.seen_as as string[], first_seen: e.first_seen, last_seen: e.last_seen };
}

/** Pure: file text → entries, or the reason it is unusable. */
export function parseSeenEcosystems(text: string): SeenEcosystem[] | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return `not JSON (${errorMessage(err)})`;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'not a JSON object';
  const d = doc as Record<string, unknown>;
  if (d.format !== FORMAT || d.version !== 1) return `not a ${FORMAT} version 1 document`;
  if (typeof d.ecosystems !== 'object' || d.ecosystems === null || Array.isArray(d.ecosystems)) return '"ecosystems" is not an object';
  const entries: SeenEcosystem[] = [];
  for (const [name, raw] of Object.entries(d.ecosystems)) {
    const entry = parseEntry(name, raw);
    if (typeof entry === 'string') return entry;
    entries.push(entry);
  }
  return entries.sort((a, b) => a.name.localeCompare(b.name));
}

/** Reads the record; a missing file is an empty record, an unusable one an empty record with a warning. */
export function readSeenEcosystems(file: string): SeenEcosystems {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { file, ecosystems: [] };
    return { file, ecosystems: [], warning: `cannot read ${file}: ${errorMessage(err)}; treated as empty` };
  }
  const parsed = parseSeenEcosystems(text);
  if (typeof parsed === 'string') return { file, ecosystems: [], warning: `ignoring corrupt ${file}: ${parsed}; treated as empty and rewritten by the next scan` };
  return { file, ecosystems: parsed };
}

function serialize(entries: SeenEcosystem[]): string {
  const ecosystems: Record<string, Omit<SeenEcosystem, 'name'>> = {};
  for (const e of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
    ecosystems[e.name] = { seen_as: [...e.seen_as].sort(), first_seen: e.first_seen, last_seen: e.last_seen };
  }
  return `${JSON.stringify({ format: FORMAT, version: 1, ecosystems }, null, 2)}\n`;
}

function writeAtomically(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, text);
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

export interface RecordResult {
  /** Export names new to the record. */
  added: string[];
  /** Whether the file was (re)written; unchanged records are not rewritten more than once a day. */
  written: boolean;
  warnings: string[];
}

/**
 * Adds the ecosystems of one inventory to the record. Never throws: a failure to read or write
 * is returned as a warning, because the record only steers the next `db update`.
 */
export function recordSeenEcosystems(file: string, ecosystems: Iterable<string>, now: Date = new Date()): RecordResult {
  const today = now.toISOString().slice(0, 10);
  const current = readSeenEcosystems(file);
  const warnings = current.warning ? [current.warning] : [];
  const byName = new Map(current.ecosystems.map((e) => [e.name, { ...e, seen_as: [...e.seen_as] }]));
  const added: string[] = [];
  let changed = current.warning !== undefined;
  for (const ecosystem of ecosystems) {
    const name = osvExportName(ecosystem);
    if (!name) continue;
    const seenAs = ecosystem.trim();
    let entry = byName.get(name);
    if (!entry) {
      if (byName.size >= MAX_ECOSYSTEMS) continue;
      entry = { name, seen_as: [], first_seen: today, last_seen: today };
      byName.set(name, entry);
      added.push(name);
      changed = true;
    }
    if (!entry.seen_as.includes(seenAs) && entry.seen_as.length < MAX_SEEN_AS) {
      entry.seen_as.push(seenAs);
      changed = true;
    }
    if (entry.last_seen < today) {
      entry.last_seen = today;
      changed = true;
    }
  }
  if (!changed) return { added, written: false, warnings };
  try {
    writeAtomically(file, serialize([...byName.values()]));
    return { added, written: true, warnings };
  } catch (err) {
    return { added, written: false, warnings: [...warnings, `cannot record scanned ecosystems in ${file}: ${errorMessage(err)}`] };
  }
}
