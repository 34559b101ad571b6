/**
 * Language inventory from binaries and archives: the cost of handing every executable of an image
 * to the Go and Rust binary analyzers (this host's /usr/bin: mostly non-Go ELF files), Go build
 * info extraction alone, a Spring-Boot-style fat jar with nested jars (this host's Maven
 * repository jars when present, else generated ones), and a large Cargo.lock.
 * Run: npm run bench -- lang-binary
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { strToU8, zipSync, type Zippable } from 'fflate';
import { goBinaryAnalyzer } from '../src/analyzers/lang/golang/index.ts';
import { readGoBuildInfo } from '../src/analyzers/lang/golang/buildinfo.ts';
import { rustBinaryAnalyzer, parseCargoLock } from '../src/analyzers/lang/rust/index.ts';
import { scanJavaArchive } from '../src/analyzers/lang/java/index.ts';
import { detectExecutableFormat } from '../src/analyzers/binary/exe.ts';
import type { FileMeta } from '../src/image/types.ts';
import { machineLine, perSecond, repeatFor, resultLine, type Timing } from './lib.ts';

const line = (label: string, t: Timing, extra: string): void => console.log(resultLine(label, t, extra));

console.log(machineLine());

// 1. Executables of /usr/bin, buffered once (the walker's job), then analyzed.
const files: { path: string; bytes: Buffer }[] = [];
let total = 0;
for (const name of existsSync('/usr/bin') ? readdirSync('/usr/bin') : []) {
  const p = `/usr/bin/${name}`;
  try {
    const st = statSync(p);
    if (!st.isFile() || (st.mode & 0o111) === 0 || st.size > 256 * 1024 * 1024) continue;
    const head = Buffer.alloc(4);
    const fd = openSync(p, 'r');
    try { readSync(fd, head, 0, 4, 0); } finally { closeSync(fd); }
    if (!detectExecutableFormat(head)) continue;
    const bytes = readFileSync(p);
    files.push({ path: p, bytes });
    total += bytes.length;
  } catch { /* unreadable: skip */ }
}
if (files.length > 0) {
  const meta = (p: string, size: number): FileMeta => ({ path: p, type: 'file', size, mode: 0o755, layerIndex: 0, layerDigest: '' });
  const go = repeatFor(() => files.reduce((n, f) => n + ((goBinaryAnalyzer.analyze({ path: f.path, content: f.bytes, meta: meta(f.path, f.bytes.length) }) as unknown[] | undefined)?.length ? 1 : 0), 0), 3000);
  line(`gobinary analyze over /usr/bin (${files.length} executables, ${(total / 1e6).toFixed(0)} MB)`, go,
    `${(go.wallMs / files.length * 1000).toFixed(0)} µs/file, ${go.value} Go binaries`);
  const rust = repeatFor(() => files.reduce((n, f) => {
    try { return n + (rustBinaryAnalyzer.analyze({ path: f.path, content: f.bytes, meta: meta(f.path, f.bytes.length) }) ? 1 : 0); } catch { return n; }
  }, 0), 3000);
  line('rust-binary analyze over the same executables', rust, `${(rust.wallMs / files.length * 1000).toFixed(0)} µs/file, ${rust.value} audited`);
  const goFiles = files.filter((f) => readGoBuildInfo(f.bytes));
  if (goFiles.length > 0) {
    const only = repeatFor(() => goFiles.reduce((n, f) => n + (readGoBuildInfo(f.bytes)?.modinfo.length ?? 0), 0));
    line(`Go build info extraction (${goFiles.length} Go binaries)`, only, `${(only.wallMs / goFiles.length * 1000).toFixed(0)} µs/binary`);
  }
}

// Release the buffered executables so the next figures do not pay for a 1 GB+ live heap.
files.length = 0;

// 2. Fat jar: nested jars stored uncompressed, like Spring Boot's BOOT-INF/lib.
const m2 = path.join(os.homedir(), '.m2', 'repository');
const nested: Zippable = {};
let nestedCount = 0;
const walk = (dir: string): void => {
  for (const name of readdirSync(dir)) {
    if (nestedCount >= 150) return;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.jar') && !nested[`BOOT-INF/lib/${name}`]) { nested[`BOOT-INF/lib/${name}`] = [readFileSync(p), { level: 0 }]; nestedCount++; }
  }
};
if (existsSync(m2)) walk(m2);
for (let i = nestedCount; i < 150; i++) {
  const classes: Zippable = { [`META-INF/maven/g${i}/a${i}/pom.properties`]: strToU8(`groupId=g${i}\nartifactId=a${i}\nversion=1.${i}\n`) };
  for (let c = 0; c < 200; c++) classes[`g${i}/C${c}.class`] = new Uint8Array(2000).fill(c);
  nested[`BOOT-INF/lib/a${i}-1.${i}.jar`] = [zipSync(classes), { level: 0 }];
}
const fat = zipSync({ ...nested, 'META-INF/maven/com.example/app/pom.properties': strToU8('groupId=com.example\nartifactId=app\nversion=1.0\n') });
const jar = repeatFor(() => scanJavaArchive(fat, 'app-1.0.jar').artifacts.length);
line(`fat jar, 150 nested jars (${(fat.length / 1e6).toFixed(0)} MB${existsSync(m2) ? ', real Maven jars' : ', generated'})`, jar,
  `${jar.value} artifacts, ${(fat.length / 1e6 / (jar.wallMs / 1000)).toFixed(0)} MB/s`);

// 3. Cargo.lock with 5,000 packages.
const lock = ['version = 3', ''];
for (let i = 0; i < 5000; i++) {
  lock.push('[[package]]', `name = "crate-${i}"`, `version = "0.${i % 50}.${i}"`, 'source = "registry+https://github.com/rust-lang/crates.io-index"',
    `checksum = "${'ab'.repeat(32)}"`, 'dependencies = [', ` "crate-${(i + 1) % 5000}",`, ']', '');
}
const lockText = lock.join('\n');
const cargo = repeatFor(() => parseCargoLock(lockText).packages.length);
line(`Cargo.lock, 5,000 packages (${(lockText.length / 1e6).toFixed(1)} MB)`, cargo, `${perSecond(cargo.value, cargo.wallMs)} pkgs/s`);
