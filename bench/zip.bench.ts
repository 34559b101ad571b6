/**
 * ZIP reader benchmark (src/util/zip.ts): on big real archives (the largest jar of ~/.m2, the
 * JDK's src.zip, or PORTWARDEN_BENCH_ZIPS=a.jar,b.zip, or `none`) and on a synthetic OSV-style `all.zip`
 * (BENCH_ZIP_ENTRIES small JSON entries, default 100,000):
 *  - directory listing through a file source (what `db import` and `db update` do first),
 *  - reading and CRC-checking every entry through a file source (`db update` verification),
 *  - scanJavaArchive on the buffered archive (the Java analyzer), for jars.
 * With BENCH_ZIP_BASELINE=<git revision> the same cases also run against the reader of that
 * revision (extracted to a temporary directory), each case back to back, for before/after figures.
 * Run: npm run bench -- zip
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildZip, type BuildEntry } from '../test/util/zip-builder.ts';
import { bestOf, envNumber, formatTiming, machineLine, MiB, type Timing } from './lib.ts';

interface ZipApi {
  fileSource(file: string): { close(): void };
  listZipEntries(src: unknown): { name: string }[];
  readZipEntry(src: unknown, entry: unknown, maxSize: number): Buffer;
}
type ScanJar = (bytes: Uint8Array, name: string) => { artifacts: unknown[] };
interface Reader { label: string; zip: ZipApi; scanJavaArchive: ScanJar }

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The shared reader lives in src/util/zip.ts; revisions before it had src/vulndb/zip.ts.
const ZIP_MODULES = ['src/util/zip.ts', 'src/vulndb/zip.ts'];
const JAVA_MODULE = 'src/analyzers/lang/java/archive.ts';

function revisionHas(rev: string, file: string): boolean {
  try {
    execFileSync('git', ['cat-file', '-e', `${rev}:${file}`], { cwd: repo, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Copies the entry points at `rev` and every module they import relatively into `dir`. */
function extractRevision(rev: string, dir: string): void {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = execFileSync('git', ['show', `${rev}:${file}`], { cwd: repo, encoding: 'utf8' });
    mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
    for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) visit(path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1] as string)));
  };
  const zipModule = ZIP_MODULES.find((f) => revisionHas(rev, f));
  if (!zipModule) throw new Error(`${rev} has no zip reader (${ZIP_MODULES.join(', ')})`);
  for (const f of [zipModule, JAVA_MODULE]) visit(f);
}

async function loadReader(label: string, root: string): Promise<Reader> {
  const zipModule = ZIP_MODULES.find((f) => existsSync(path.join(root, f))) as string;
  const zip = (await import(pathToFileURL(path.join(root, zipModule)).href)) as ZipApi;
  const java = (await import(pathToFileURL(path.join(root, JAVA_MODULE)).href)) as { scanJavaArchive: ScanJar };
  return { label, zip, scanJavaArchive: java.scanJavaArchive };
}

function largestJar(dir: string): string | undefined {
  let best: { file: string; size: number } | undefined;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (name.endsWith('.jar') && (!best || st.size > best.size)) best = { file: p, size: st.size };
    }
  };
  if (existsSync(dir)) walk(dir);
  return best?.file;
}

function defaultArchives(): string[] {
  const out: string[] = [];
  const jar = largestJar(path.join(os.homedir(), '.m2', 'repository'));
  if (jar) out.push(jar);
  const jvm = '/usr/lib/jvm';
  if (existsSync(jvm)) {
    const src = readdirSync(jvm).map((d) => path.join(jvm, d, 'lib', 'src.zip')).find((p) => existsSync(p));
    if (src) out.push(src);
  }
  return out;
}

/** Zip64 past 65,535 entries, as Go's archive/zip writes OSV.dev's exports (fflate cannot). */
function syntheticOsvZip(file: string, entries: number): void {
  const files: BuildEntry[] = [];
  for (let i = 0; i < entries; i++) {
    const record = { id: `SYNTH-${i}`, modified: '2024-01-01T00:00:00Z', summary: `synthetic advisory ${i}`, affected: [{ package: { ecosystem: 'npm', name: `pkg-${i % 5000}` }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: `1.${i % 40}.0` }] }] }] };
    files.push({ name: `SYNTH-${i}.json`, data: Buffer.from(JSON.stringify(record)) });
  }
  writeFileSync(file, buildZip(files, { zip64: entries > 0xffff }).bytes);
}

function readAll(zip: ZipApi, file: string): number {
  const src = zip.fileSource(file);
  try {
    let bytes = 0;
    for (const e of zip.listZipEntries(src)) if (!e.name.endsWith('/')) bytes += zip.readZipEntry(src, e, 1 << 30).length;
    return bytes;
  } finally {
    src.close();
  }
}

function listOnly(zip: ZipApi, file: string): number {
  const src = zip.fileSource(file);
  try {
    return zip.listZipEntries(src).length;
  } finally {
    src.close();
  }
}

console.log(machineLine());
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pw-bench-zip-'));
try {
  const readers: Reader[] = [];
  const baseline = process.env.BENCH_ZIP_BASELINE;
  if (baseline) {
    const dir = path.join(tmp, 'baseline');
    extractRevision(baseline, dir);
    readers.push(await loadReader(`baseline ${baseline}`, dir));
  }
  readers.push(await loadReader('current', repo));

  const listed = process.env.PORTWARDEN_BENCH_ZIPS ?? '';
  const archives = listed === '' ? defaultArchives() : listed === 'none' ? [] : listed.split(',');
  const synthetic = path.join(tmp, 'all.zip');
  const entries = envNumber('BENCH_ZIP_ENTRIES', 100_000);
  syntheticOsvZip(synthetic, entries);
  archives.push(synthetic);

  const runs = envNumber('BENCH_RUNS', 5);
  const cell = (t: Timing): string => formatTiming(t, 1);
  for (const file of archives) {
    const size = statSync(file).size;
    const name = file === synthetic ? `synthetic OSV all.zip (${entries.toLocaleString('en-US')} entries)` : path.basename(file);
    const count = listOnly((readers[0] as Reader).zip, file);
    console.log(`\n${name}: ${(size / MiB).toFixed(1)} MiB, ${count.toLocaleString('en-US')} entries (best of ${runs}; wall, CPU)`);
    for (const r of readers) console.log(`  ${r.label.padEnd(22)} list (file source)        ${cell(bestOf(() => listOnly(r.zip, file), runs))}`);
    for (const r of readers) console.log(`  ${r.label.padEnd(22)} read + CRC every entry   ${cell(bestOf(() => readAll(r.zip, file), Math.min(runs, 3)))}`);
    if (/\.(jar|war|ear)$/i.test(file)) {
      const bytes = readFileSync(file);
      for (const r of readers) {
        const t = bestOf(() => r.scanJavaArchive(bytes, path.basename(file)).artifacts.length, runs);
        console.log(`  ${r.label.padEnd(22)} scanJavaArchive (buffer)  ${cell(t)}, ${t.value} artifacts`);
      }
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
