/**
 * Go build information embedded in executables (what `go version -m` prints): the toolchain
 * version and the module list. Follows the layout documented in Go's debug/buildinfo:
 * a 32-byte header starting with "\xff Go buildinf:" at a 16-byte aligned address in the data
 * area, then either inline varint-prefixed strings (Go ≥ 1.18, flag bit 2) or two pointers to
 * Go string headers (older toolchains; pointer size and byte order given in the header).
 */
import { ExecutableFormatError, parseExecutable, readVirtual, type Executable } from '../../binary/exe.ts';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER_SIZE = 32;
const SEARCH_WINDOW = 64 * 1024;
const ALIGN = 16;
// Real module lists are tens of KiB; a corrupt length must not make us copy the whole file.
const MAX_STRING = 4 * 1024 * 1024;

export interface GoRawBuildInfo {
  /** `go1.19.8` as the toolchain wrote it. */
  goVersion: string;
  /** The module info text (tab-separated `path`/`mod`/`dep`/`=>`/`build` lines), sentinels removed; '' when absent. */
  modinfo: string;
}

export interface GoModule {
  path: string;
  version: string;
  sum: string;
  replace?: GoModule;
}

export interface GoBuildInfo {
  goVersion: string;
  /** Import path of the main package (`path` line). */
  path: string;
  main?: GoModule;
  deps: GoModule[];
  settings: { key: string; value: string }[];
}

/** Locates the data area where the linker places the build info header, as Go's reader does. */
function dataStart(exe: Executable): number | undefined {
  if (exe.format === 'elf') {
    const s = exe.sections.find((x) => x.name === '.go.buildinfo');
    if (s) return s.addr;
    const PF_X = 1, PF_W = 2;
    const seg = exe.segments.find((x) => (x.prot & (PF_X | PF_W)) === PF_W);
    return seg?.addr;
  }
  if (exe.format === 'macho') {
    const s = exe.sections.find((x) => x.name === '__go_buildinfo');
    if (s) return s.addr;
    const RW = 3;
    const seg = exe.segments.find((x) => x.addr !== 0 && x.fileSize !== 0 && (x.prot & 7) === RW && (x.maxProt & 7) === RW);
    return seg?.addr;
  }
  const INIT_DATA = 0x40, READ = 0x40000000, WRITE = 0x80000000, ALIGN_32 = 0x600000;
  const s = exe.sections.find((x) => x.addr !== exe.imageBase && x.size !== 0 &&
    ((x.flags & ~ALIGN_32) >>> 0) === ((INIT_DATA | READ | WRITE) >>> 0));
  return s?.addr;
}

/** Reads a Go-style unsigned varint; undefined when truncated or overlong. */
function uvarint(buf: Buffer, off: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10 && off + i < buf.length; i++) {
    const b = buf[off + i] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value > Number.MAX_SAFE_INTEGER ? undefined : { value, next: off + i + 1 };
    scale *= 128;
  }
  return undefined;
}

function stripSentinels(mod: string): string {
  // The linker wraps modinfo in 16-byte sentinels; the byte before the closing one is '\n'.
  if (mod.length >= 33 && mod[mod.length - 17] === '\n') return mod.slice(16, mod.length - 16);
  return '';
}

/**
 * Extracts the raw build info from executable bytes. Returns undefined when the file is an
 * executable without Go build info; throws ExecutableFormatError when the headers or the build
 * info are corrupt.
 */
export function readGoBuildInfo(buf: Buffer, exe: Executable = parseExecutable(buf)): GoRawBuildInfo | undefined {
  const start = dataStart(exe);
  if (start === undefined) return undefined;
  const window = readVirtual(buf, exe, start, SEARCH_WINDOW);
  if (!window) return undefined;
  let header: Buffer | undefined;
  let from = 0;
  while (true) {
    const i = window.indexOf(MAGIC, from);
    if (i < 0 || window.length - i < HEADER_SIZE) return undefined;
    if (i % ALIGN === 0) { header = window.subarray(i, i + HEADER_SIZE); break; }
    from = i + 1;
  }
  const ptrSize = header[14];
  const flags = header[15] as number;
  const bigEndian = (flags & 0x1) !== 0;
  const inline = (flags & 0x2) !== 0;
  if (inline) {
    const after = readVirtual(buf, exe, start + (header.byteOffset - window.byteOffset) + HEADER_SIZE, 2 * MAX_STRING + 20);
    if (!after) throw new ExecutableFormatError('Go build info: inline strings not readable');
    const v = readInlineString(after, 0);
    if (v.value === '') return undefined;
    const m = readInlineString(after, v.next);
    return { goVersion: v.value, modinfo: stripSentinels(m.value) };
  }
  if (ptrSize !== 4 && ptrSize !== 8) throw new ExecutableFormatError(`Go build info: invalid pointer size ${ptrSize}`);
  const readPtr = (b: Buffer, off: number): number => {
    if (off + ptrSize > b.length) throw new ExecutableFormatError('Go build info: truncated pointer');
    if (ptrSize === 4) return bigEndian ? b.readUInt32BE(off) : b.readUInt32LE(off);
    const v = bigEndian ? b.readBigUInt64BE(off) : b.readBigUInt64LE(off);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
  };
  const readString = (addrOfHeader: number): string => {
    const hdr = readVirtual(buf, exe, addrOfHeader, 2 * ptrSize);
    if (!hdr || hdr.length < 2 * ptrSize) return '';
    const dataAddr = readPtr(hdr, 0);
    const len = readPtr(hdr, ptrSize);
    if (dataAddr < 0 || len < 0 || len > MAX_STRING) throw new ExecutableFormatError(`Go build info: string length ${len} out of range`);
    const data = readVirtual(buf, exe, dataAddr, len);
    if (!data || data.length < len) return '';
    return data.toString('utf8');
  };
  const goVersion = readString(readPtr(header, 16));
  if (goVersion === '') return undefined;
  const modinfo = stripSentinels(readString(readPtr(header, 16 + ptrSize)));
  return { goVersion, modinfo };
}

function readInlineString(b: Buffer, off: number): { value: string; next: number } {
  const n = uvarint(b, off);
  if (!n) throw new ExecutableFormatError('Go build info: truncated string length');
  if (n.value > MAX_STRING || n.next + n.value > b.length) throw new ExecutableFormatError(`Go build info: string length ${n.value} out of range`);
  return { value: b.toString('utf8', n.next, n.next + n.value), next: n.next + n.value };
}

/** Parses a Go-quoted string (strconv.Quote output) as written in build settings. */
export function goUnquote(s: string): string {
  if (s.length < 2 || s[0] !== '"' || s[s.length - 1] !== '"') return s;
  let out = '';
  for (let i = 1; i < s.length - 1; i++) {
    const c = s[i] as string;
    if (c !== '\\') { out += c; continue; }
    const e = s[++i];
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case 'x': out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16)); i += 2; break;
      case 'u': out += String.fromCodePoint(parseInt(s.slice(i + 1, i + 5), 16)); i += 4; break;
      case 'U': out += String.fromCodePoint(parseInt(s.slice(i + 1, i + 9), 16)); i += 8; break;
      default: out += e ?? '';
    }
  }
  return out;
}

/** Parses the modinfo text into modules and build settings (lenient: unknown lines are ignored). */
export function parseModinfo(goVersion: string, modinfo: string): GoBuildInfo {
  const info: GoBuildInfo = { goVersion, path: '', deps: [], settings: [] };
  let last: GoModule | undefined;
  for (const line of modinfo.split('\n')) {
    const f = line.split('\t');
    const [kind] = f;
    const mod = (): GoModule => ({ path: f[1] ?? '', version: f[2] ?? '', sum: f[3] ?? '' });
    if (kind === 'path') info.path = f[1] ?? '';
    else if (kind === 'mod') { info.main = mod(); last = info.main; }
    else if (kind === 'dep') { last = mod(); info.deps.push(last); }
    else if (kind === '=>' && last) { last.replace = mod(); last = undefined; }
    else if (kind === 'build') {
      const rest = line.slice('build\t'.length);
      const eq = findSettingEquals(rest);
      if (eq < 0) continue;
      info.settings.push({ key: goUnquote(rest.slice(0, eq)), value: goUnquote(rest.slice(eq + 1)) });
    }
  }
  return info;
}

/** The `=` separating key and value, skipping a quoted key (keys containing `=` are quoted). */
function findSettingEquals(s: string): number {
  if (s.startsWith('"')) {
    for (let i = 1; i < s.length; i++) {
      if (s[i] === '\\') { i++; continue; }
      if (s[i] === '"') return s[i + 1] === '=' ? i + 1 : -1;
    }
    return -1;
  }
  return s.indexOf('=');
}
