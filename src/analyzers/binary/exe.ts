/**
 * Minimal readers for the three executable formats that carry language build metadata
 * (ELF, PE/COFF, Mach-O): enough to list sections and loadable segments and to read bytes at a
 * virtual address. Pure: a Buffer in, a view out. Every offset and length read from the file is
 * bounds-checked against the buffer before use, so corrupt headers give an Error, never an
 * out-of-range read or an allocation sized by the file.
 */

export type ExecutableFormat = 'elf' | 'pe' | 'macho';

export interface ExeSection {
  name: string;
  /** Virtual address (after adding the PE image base). */
  addr: number;
  /** File offset of the section's bytes; -1 when the section occupies no file space (ELF NOBITS, Mach-O zerofill). */
  offset: number;
  /** Bytes available in the file. */
  size: number;
  /** Format-specific flags (ELF sh_flags low 32 bits, PE Characteristics, Mach-O section flags). */
  flags: number;
}

export interface ExeSegment {
  /** Mach-O segment name; '' for ELF program headers and PE. */
  name: string;
  addr: number;
  offset: number;
  /** Bytes present in the file. */
  fileSize: number;
  /** ELF p_flags (R=4, W=2, X=1) or Mach-O initprot (same bit values); for PE, copied from the section. */
  prot: number;
  /** Mach-O maxprot; equals prot elsewhere. */
  maxProt: number;
}

export interface Executable {
  format: ExecutableFormat;
  littleEndian: boolean;
  pointerSize: 4 | 8;
  /** PE image base; 0 elsewhere. */
  imageBase: number;
  sections: ExeSection[];
  segments: ExeSegment[];
}

/** Errors for malformed executables; the analyzer prefixes the file path. */
export class ExecutableFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutableFormatError';
  }
}

// A real binary has a few dozen sections; the caps keep a corrupt count from driving a long loop.
const MAX_SECTIONS = 4096;
const MAX_LOAD_COMMANDS = 4096;

/** Regular files and hard links (the walker hands a link its target's content and size). */
export function isRegularContent(meta: { type: string }): boolean {
  return meta.type === 'file' || meta.type === 'hardlink';
}

const BINARY_EXTENSIONS = new Set(['.exe', '.dll', '.so', '.bin']);

/**
 * The cheap pre-filter for `required`: any execute bit, or an extension binaries carry when they
 * were copied without modes (Windows images, archives). Content is checked later by magic.
 */
export function looksLikeExecutable(filePath: string, mode: number): boolean {
  const dot = filePath.lastIndexOf('.');
  const ext = dot > filePath.lastIndexOf('/') ? filePath.slice(dot).toLowerCase() : '';
  return (mode & 0o111) !== 0 || BINARY_EXTENSIONS.has(ext);
}

// Java class files share the 0xcafebabe magic; their next word (minor/major version) is ≥ 45,
// while real universal binaries hold a handful of architectures (Go's debug/macho uses 20 too).
const MAX_FAT_ARCHES = 20;

/**
 * The thin images inside a Mach-O universal ("fat") binary, in header order, or undefined when
 * `buf` is not one. Slices are views of `buf`; ones that do not fit in the file are left out.
 */
export function machOFatSlices(buf: Buffer): Buffer[] | undefined {
  if (buf.length < 8) return undefined;
  const magic = buf.readUInt32BE(0);
  if (magic !== 0xcafebabe && magic !== 0xcafebabf) return undefined;
  const count = buf.readUInt32BE(4);
  if (count === 0 || count > MAX_FAT_ARCHES) return undefined;
  const is64 = magic === 0xcafebabf;
  const entrySize = is64 ? 32 : 20;
  if (8 + count * entrySize > buf.length) return undefined;
  const slices: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const e = 8 + i * entrySize;
    const offset = is64 ? Number(buf.readBigUInt64BE(e + 8)) : buf.readUInt32BE(e + 8);
    const size = is64 ? Number(buf.readBigUInt64BE(e + 16)) : buf.readUInt32BE(e + 12);
    if (offset < 8 || size < 4 || offset + size > buf.length) continue;
    const slice = buf.subarray(offset, offset + size);
    if (detectExecutableFormat(slice) === 'macho') slices.push(slice);
  }
  return slices;
}

/** The executable images in a file: the file itself, or each architecture of a universal binary. */
export function executableImages(buf: Buffer): Buffer[] {
  if (detectExecutableFormat(buf)) return [buf];
  return machOFatSlices(buf) ?? [];
}

/**
 * Parses an image's headers, or undefined when they are malformed: a damaged or truncated file
 * that merely starts with an executable magic is not ours to report on (like `go version`, which
 * skips unrecognised files), so the language analyzers stay quiet instead of warning twice.
 */
export function tryParseExecutable(buf: Buffer): Executable | undefined {
  try {
    return parseExecutable(buf);
  } catch (err) {
    if (err instanceof ExecutableFormatError) return undefined;
    throw err;
  }
}

/** Identifies the format from the first bytes; cheap enough to call on every executable in an image. */
export function detectExecutableFormat(buf: Uint8Array): ExecutableFormat | undefined {
  if (buf.length < 4) return undefined;
  const [b0, b1, b2, b3] = [buf[0], buf[1], buf[2], buf[3]];
  if (b0 === 0x7f && b1 === 0x45 && b2 === 0x4c && b3 === 0x46) return 'elf';
  if (b0 === 0x4d && b1 === 0x5a) return 'pe';
  if ((b0 === 0xfe && b1 === 0xed && b2 === 0xfa && (b3 === 0xce || b3 === 0xcf)) ||
      ((b0 === 0xce || b0 === 0xcf) && b1 === 0xfa && b2 === 0xed && b3 === 0xfe)) return 'macho';
  return undefined;
}

class Reader {
  constructor(readonly buf: Buffer, readonly le: boolean) {}
  private check(off: number, n: number): void {
    if (!Number.isInteger(off) || off < 0 || off + n > this.buf.length) {
      throw new ExecutableFormatError(`truncated header: read of ${n} bytes at offset ${off} past end of file (${this.buf.length} bytes)`);
    }
  }
  u8(off: number): number { this.check(off, 1); return this.buf.readUInt8(off); }
  u16(off: number): number { this.check(off, 2); return this.le ? this.buf.readUInt16LE(off) : this.buf.readUInt16BE(off); }
  u32(off: number): number { this.check(off, 4); return this.le ? this.buf.readUInt32LE(off) : this.buf.readUInt32BE(off); }
  /** 64-bit value as a number; values beyond 2^53 cannot be valid offsets or addresses we can use. */
  u64(off: number): number {
    this.check(off, 8);
    const v = this.le ? this.buf.readBigUInt64LE(off) : this.buf.readBigUInt64BE(off);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }
  word(off: number, size: 4 | 8): number { return size === 8 ? this.u64(off) : this.u32(off); }
  cstr(off: number, max: number): string {
    if (off < 0 || off >= this.buf.length) return '';
    const end = Math.min(this.buf.length, off + max);
    let i = off;
    while (i < end && this.buf[i] !== 0) i++;
    return this.buf.toString('latin1', off, i);
  }
}

/** Parses the headers of an ELF, PE or Mach-O file. Throws ExecutableFormatError when malformed. */
export function parseExecutable(buf: Buffer): Executable {
  const format = detectExecutableFormat(buf);
  switch (format) {
    case 'elf': return parseElf(buf);
    case 'pe': return parsePe(buf);
    case 'macho': return parseMachO(buf);
    default: throw new ExecutableFormatError('not an ELF, PE or Mach-O file');
  }
}

function parseElf(buf: Buffer): Executable {
  if (buf.length < 16) throw new ExecutableFormatError('truncated ELF identification');
  const cls = buf[4];
  const data = buf[5];
  if (cls !== 1 && cls !== 2) throw new ExecutableFormatError(`unknown ELF class ${cls}`);
  if (data !== 1 && data !== 2) throw new ExecutableFormatError(`unknown ELF data encoding ${data}`);
  const is64 = cls === 2;
  const ptr: 4 | 8 = is64 ? 8 : 4;
  const r = new Reader(buf, data === 1);
  const phoff = r.word(is64 ? 0x20 : 0x1c, ptr);
  const shoff = r.word(is64 ? 0x28 : 0x20, ptr);
  const phentsize = r.u16(is64 ? 0x36 : 0x2a);
  const phnumRaw = r.u16(is64 ? 0x38 : 0x2c);
  const shentsize = r.u16(is64 ? 0x3a : 0x2e);
  let shnum = r.u16(is64 ? 0x3c : 0x30);
  let shstrndx = r.u16(is64 ? 0x3e : 0x32);
  const minSh = is64 ? 64 : 40;
  const minPh = is64 ? 56 : 32;

  const sectionHeaders: { nameOff: number; type: number; flags: number; addr: number; offset: number; size: number }[] = [];
  if (shoff !== 0) {
    if (shentsize < minSh) throw new ExecutableFormatError(`ELF section header size ${shentsize} too small`);
    // Extended numbering: counts that do not fit 16 bits live in section 0's header.
    if (shnum === 0) shnum = r.word(shoff + (is64 ? 32 : 20), ptr);
    if (shstrndx === 0xffff) shstrndx = r.u32(shoff + (is64 ? 40 : 24));
    if (shnum > MAX_SECTIONS) throw new ExecutableFormatError(`ELF claims ${shnum} sections`);
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      sectionHeaders.push({
        nameOff: r.u32(o),
        type: r.u32(o + 4),
        flags: is64 && data === 2 ? r.u32(o + 12) : r.u32(o + 8),
        addr: r.word(o + (is64 ? 16 : 12), ptr),
        offset: r.word(o + (is64 ? 24 : 16), ptr),
        size: r.word(o + (is64 ? 32 : 20), ptr),
      });
    }
  }
  const strtab = sectionHeaders[shstrndx];
  const SHT_NOBITS = 8;
  const sections: ExeSection[] = sectionHeaders.map((h) => {
    const name = strtab && strtab.type !== SHT_NOBITS ? r.cstr(strtab.offset + h.nameOff, 256) : '';
    const inFile = h.type !== SHT_NOBITS && h.offset <= buf.length;
    return {
      name,
      addr: h.addr,
      offset: inFile ? h.offset : -1,
      size: inFile ? Math.min(h.size, buf.length - h.offset) : 0,
      flags: h.flags,
    };
  });

  const segments: ExeSegment[] = [];
  if (phoff !== 0) {
    if (phentsize < minPh) throw new ExecutableFormatError(`ELF program header size ${phentsize} too small`);
    if (phnumRaw > MAX_SECTIONS) throw new ExecutableFormatError(`ELF claims ${phnumRaw} program headers`);
    const PT_LOAD = 1;
    for (let i = 0; i < phnumRaw; i++) {
      const o = phoff + i * phentsize;
      if (r.u32(o) !== PT_LOAD) continue;
      const flags = is64 ? r.u32(o + 4) : r.u32(o + 24);
      const offset = r.word(o + (is64 ? 8 : 4), ptr);
      const addr = r.word(o + (is64 ? 16 : 8), ptr);
      const filesz = r.word(o + (is64 ? 32 : 16), ptr);
      segments.push({ name: '', addr, offset, fileSize: clampSize(offset, filesz, buf.length), prot: flags, maxProt: flags });
    }
  }
  return { format: 'elf', littleEndian: data === 1, pointerSize: ptr, imageBase: 0, sections, segments };
}

function clampSize(offset: number, size: number, fileLength: number): number {
  if (offset >= fileLength) return 0;
  return Math.min(size, fileLength - offset);
}

function parsePe(buf: Buffer): Executable {
  const r = new Reader(buf, true);
  const peOff = r.u32(0x3c);
  if (r.u32(peOff) !== 0x00004550) throw new ExecutableFormatError('missing PE signature');
  const coff = peOff + 4;
  const nsections = r.u16(coff + 2);
  const optSize = r.u16(coff + 16);
  const opt = coff + 20;
  let pointerSize: 4 | 8 = 4;
  let imageBase = 0;
  if (optSize >= 2) {
    const magic = r.u16(opt);
    if (magic === 0x20b) { pointerSize = 8; imageBase = r.u64(opt + 24); }
    else if (magic === 0x10b) { imageBase = r.u32(opt + 28); }
    else throw new ExecutableFormatError(`unknown PE optional header magic 0x${magic.toString(16)}`);
  }
  const sectionTable = opt + optSize;
  const sections: ExeSection[] = [];
  const segments: ExeSegment[] = [];
  for (let i = 0; i < nsections; i++) {
    const o = sectionTable + i * 40;
    const name = r.cstr(o, 8);
    const virtualAddress = r.u32(o + 12);
    const rawSize = r.u32(o + 16);
    const rawPtr = r.u32(o + 20);
    const characteristics = r.u32(o + 36);
    const size = clampSize(rawPtr, rawSize, buf.length);
    const addr = imageBase + virtualAddress;
    sections.push({ name, addr, offset: rawSize === 0 ? -1 : rawPtr, size, flags: characteristics });
    const prot = (characteristics & 0x40000000 ? 4 : 0) | (characteristics & 0x80000000 ? 2 : 0) | (characteristics & 0x20000000 ? 1 : 0);
    segments.push({ name, addr, offset: rawPtr, fileSize: size, prot, maxProt: prot });
  }
  return { format: 'pe', littleEndian: true, pointerSize, imageBase, sections, segments };
}

function parseMachO(buf: Buffer): Executable {
  const le = buf[0] === 0xce || buf[0] === 0xcf;
  const r = new Reader(buf, le);
  const magic = r.u32(0);
  const is64 = magic === 0xfeedfacf;
  const ncmds = r.u32(16);
  if (ncmds > MAX_LOAD_COMMANDS) throw new ExecutableFormatError(`Mach-O claims ${ncmds} load commands`);
  let off = is64 ? 32 : 28;
  const LC_SEGMENT = 0x1;
  const LC_SEGMENT_64 = 0x19;
  const sections: ExeSection[] = [];
  const segments: ExeSegment[] = [];
  for (let i = 0; i < ncmds; i++) {
    const cmd = r.u32(off);
    const cmdsize = r.u32(off + 4);
    if (cmdsize < 8) throw new ExecutableFormatError(`Mach-O load command ${i} has size ${cmdsize}`);
    if (cmd === LC_SEGMENT_64 || cmd === LC_SEGMENT) {
      const w: 4 | 8 = cmd === LC_SEGMENT_64 ? 8 : 4;
      const segname = r.cstr(off + 8, 16);
      const vmaddr = r.word(off + 24, w);
      const fileoff = r.word(off + 24 + 2 * w, w);
      const filesize = r.word(off + 24 + 3 * w, w);
      const maxprot = r.u32(off + 24 + 4 * w);
      const initprot = r.u32(off + 28 + 4 * w);
      const nsects = r.u32(off + 32 + 4 * w);
      segments.push({ name: segname, addr: vmaddr, offset: fileoff, fileSize: clampSize(fileoff, filesize, buf.length), prot: initprot, maxProt: maxprot });
      const sectSize = w === 8 ? 80 : 68;
      const firstSect = off + (w === 8 ? 72 : 56);
      if (nsects > MAX_SECTIONS || firstSect + nsects * sectSize > off + cmdsize) {
        throw new ExecutableFormatError(`Mach-O segment ${segname} has an invalid section count ${nsects}`);
      }
      for (let s = 0; s < nsects; s++) {
        const so = firstSect + s * sectSize;
        const sectname = r.cstr(so, 16);
        const addr = r.word(so + 32, w);
        const size = r.word(so + 32 + w, w);
        const offset = r.u32(so + 32 + 2 * w);
        const flags = r.u32(so + 32 + 2 * w + 16);
        const zerofill = (flags & 0xff) === 0x1 || (flags & 0xff) === 0xc || (flags & 0xff) === 0x12;
        sections.push({ name: sectname, addr, offset: zerofill ? -1 : offset, size: zerofill ? 0 : clampSize(offset, size, buf.length), flags });
      }
    }
    off += cmdsize;
  }
  return { format: 'macho', littleEndian: le, pointerSize: is64 ? 8 : 4, imageBase: 0, sections, segments };
}

/** The bytes of a named section (empty when absent or without file data). */
export function sectionData(buf: Buffer, exe: Executable, name: string): Buffer | undefined {
  const s = exe.sections.find((x) => x.name === name);
  if (!s || s.offset < 0) return undefined;
  return buf.subarray(s.offset, s.offset + s.size);
}

/**
 * Reads up to `size` bytes at virtual address `addr` from whichever loaded region holds it,
 * like Go's debug/buildinfo ReadData: the result may be shorter than `size` when the region
 * ends first; undefined when no region contains the address.
 */
export function readVirtual(buf: Buffer, exe: Executable, addr: number, size: number): Buffer | undefined {
  const regions: { addr: number; offset: number; size: number }[] =
    exe.format === 'macho'
      ? exe.segments.filter((s) => s.name !== '__PAGEZERO').map((s) => ({ addr: s.addr, offset: s.offset, size: s.fileSize }))
      : exe.format === 'pe'
        ? exe.sections.filter((s) => s.offset >= 0).map((s) => ({ addr: s.addr, offset: s.offset, size: s.size }))
        : exe.segments.map((s) => ({ addr: s.addr, offset: s.offset, size: s.fileSize }));
  for (const r of regions) {
    if (r.size > 0 && r.addr <= addr && addr < r.addr + r.size) {
      const start = r.offset + (addr - r.addr);
      const n = Math.min(size, r.addr + r.size - addr);
      if (start < 0 || start >= buf.length) return undefined;
      return buf.subarray(start, Math.min(buf.length, start + n));
    }
  }
  // ELF objects without program headers: fall back to section addresses.
  if (exe.format === 'elf' && exe.segments.length === 0) {
    for (const s of exe.sections) {
      if (s.offset >= 0 && s.size > 0 && s.addr <= addr && addr < s.addr + s.size) {
        const start = s.offset + (addr - s.addr);
        return buf.subarray(start, Math.min(buf.length, start + Math.min(size, s.addr + s.size - addr)));
      }
    }
  }
  return undefined;
}
