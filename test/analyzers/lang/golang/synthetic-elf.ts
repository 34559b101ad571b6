/**
 * Hand-made executables for tests that need exact control of layout: a minimal ELF (32- or
 * 64-bit, either byte order) whose single writable PT_LOAD segment holds Go build info in the
 * pre-1.18 pointer format, as old linkers wrote it on big-endian 32-bit targets (mips, ppc).
 */
export function elfWithPointerBuildInfo(opts: { is64: boolean; bigEndian: boolean; goVersion: string; modinfo: string }): Buffer {
  const { is64, bigEndian } = opts;
  const ptr = is64 ? 8 : 4;
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const dataOff = 0x100;
  const vaddr = 0x10000;
  const sentinel = '0123456789abcdef';
  const mod = Buffer.from(sentinel + opts.modinfo + sentinel, 'utf8');
  const ver = Buffer.from(opts.goVersion, 'utf8');
  // Segment layout: [header 32 bytes at +0][version header][modinfo header][version bytes][modinfo bytes]
  const verHdr = 32;
  const modHdr = verHdr + 2 * ptr;
  const verData = modHdr + 2 * ptr;
  const modData = verData + ver.length;
  const segSize = modData + mod.length;
  const buf = Buffer.alloc(dataOff + segSize);
  const u16 = (o: number, v: number) => (bigEndian ? buf.writeUInt16BE(v, o) : buf.writeUInt16LE(v, o));
  const u32 = (o: number, v: number) => (bigEndian ? buf.writeUInt32BE(v, o) : buf.writeUInt32LE(v, o));
  const word = (o: number, v: number) => {
    if (!is64) return u32(o, v);
    if (bigEndian) buf.writeBigUInt64BE(BigInt(v), o); else buf.writeBigUInt64LE(BigInt(v), o);
  };
  buf.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, bigEndian ? 2 : 1, 1], 0);
  u16(16, 2); // ET_EXEC
  u16(18, is64 ? 21 : 8); // ppc64 / mips
  u32(20, 1);
  word(is64 ? 0x20 : 0x1c, ehsize); // e_phoff
  u16(is64 ? 0x34 : 0x28, ehsize);
  u16(is64 ? 0x36 : 0x2a, phentsize);
  u16(is64 ? 0x38 : 0x2c, 1);
  u16(is64 ? 0x3a : 0x2e, is64 ? 64 : 40);
  const ph = ehsize;
  u32(ph, 1); // PT_LOAD
  if (is64) {
    u32(ph + 4, 6); // PF_R | PF_W
    word(ph + 8, dataOff); word(ph + 16, vaddr); word(ph + 24, vaddr); word(ph + 32, segSize); word(ph + 40, segSize);
  } else {
    word(ph + 4, dataOff); word(ph + 8, vaddr); word(ph + 12, vaddr); word(ph + 16, segSize); word(ph + 20, segSize);
    u32(ph + 24, 6);
  }
  const d = dataOff;
  buf.write('\xff Go buildinf:', d, 'latin1');
  buf[d + 14] = ptr;
  buf[d + 15] = bigEndian ? 1 : 0;
  word(d + 16, vaddr + verHdr);
  word(d + 16 + ptr, vaddr + modHdr);
  word(d + verHdr, vaddr + verData); word(d + verHdr + ptr, ver.length);
  word(d + modHdr, vaddr + modData); word(d + modHdr + ptr, mod.length);
  ver.copy(buf, d + verData);
  mod.copy(buf, d + modData);
  return buf;
}
