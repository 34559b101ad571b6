/**
 * A zip reader for archive inventory (pure): the central directory, Zip64 included, and single
 * entries inflated on demand with node:zlib, bounded by the size the directory declares.
 *
 * Written here rather than using fflate's unzipSync, which on this project's inputs silently
 * returned no entries for Zip64 archives (more than 65,535 entries: shaded "assembly" jars) and
 * for archives with a prefix (Spring Boot's fully executable jars). Stored entries are returned
 * as views of the input, so nested jars in a fat jar are never copied.
 */
import { inflateRawSync } from 'node:zlib';

export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated; others are reported as unsupported when read. */
  method: number;
  flags: number;
  compressedSize: number;
  /** Uncompressed size as declared by the central directory. */
  size: number;
  localHeaderOffset: number;
}

export interface ZipDirectory {
  entries: ZipEntry[];
  /** Bytes before the archive proper (a launch script); every offset is relative to it. */
  prefix: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function u64(buf: Buffer, off: number): number {
  const v = buf.readBigUInt64LE(off);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError('Zip64 value out of range');
  return Number(v);
}

function need(buf: Buffer, off: number, n: number, what: string): void {
  if (off < 0 || off + n > buf.length) throw new ZipFormatError(`${what} lies outside the file`);
}

/** Reads the central directory. Throws ZipFormatError when there is none or it is damaged. */
export function readZipDirectory(buf: Buffer): ZipDirectory {
  if (buf.length < 22) throw new ZipFormatError('too short to be a zip archive');
  let eocd = -1;
  // The end record is the last 22 bytes plus a comment of at most 65,535 bytes.
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) { eocd = i; break; }
  }
  if (eocd < 0) throw new ZipFormatError('no end of central directory record');
  let count = buf.readUInt16LE(eocd + 10);
  let cdSize = buf.readUInt32LE(eocd + 12);
  let cdOffset = buf.readUInt32LE(eocd + 16);
  let recordStart = eocd;
  if (eocd >= 20 && buf.readUInt32LE(eocd - 20) === ZIP64_LOCATOR) {
    // Zip64: the real counts and offsets are in the Zip64 end record the locator points to. The
    // locator's offset is prefix-relative; without a prefix it is exact (and allows extensible
    // data in the record), with one the record is the 56 bytes before the locator.
    const stated = u64(buf, eocd - 20 + 8);
    const z = stated + 56 <= eocd - 20 && buf.readUInt32LE(stated) === ZIP64_EOCD ? stated : eocd - 20 - 56;
    need(buf, z, 56, 'Zip64 end of central directory');
    if (buf.readUInt32LE(z) !== ZIP64_EOCD) throw new ZipFormatError('Zip64 locator without a Zip64 end record');
    count = u64(buf, z + 32);
    cdSize = u64(buf, z + 40);
    cdOffset = u64(buf, z + 48);
    recordStart = z;
  }
  const cdStart = recordStart - cdSize;
  const prefix = cdStart - cdOffset;
  if (cdStart < 0 || prefix < 0) throw new ZipFormatError('central directory offsets do not fit the file');
  // Each central header takes at least 46 bytes, which bounds a lying count.
  if (count > cdSize / 46) throw new ZipFormatError(`central directory claims ${count} entries in ${cdSize} bytes`);
  const entries: ZipEntry[] = [];
  let p = cdStart;
  for (let i = 0; i < count; i++) {
    need(buf, p, 46, `central directory entry ${i}`);
    if (buf.readUInt32LE(p) !== CENTRAL) throw new ZipFormatError(`central directory entry ${i} has a bad signature`);
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    let compressedSize = buf.readUInt32LE(p + 20);
    let size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    let localHeaderOffset = buf.readUInt32LE(p + 42);
    need(buf, p + 46, nameLen + extraLen + commentLen, `central directory entry ${i}`);
    // Bit 11: UTF-8 names; otherwise CP437, whose ASCII subset is all that jar names use.
    const name = buf.toString((flags & 0x800) !== 0 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLen);
    if (size === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      let e = p + 46 + nameLen;
      const end = e + extraLen;
      while (e + 4 <= end) {
        const id = buf.readUInt16LE(e);
        const len = buf.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let f = e + 4;
          const fieldEnd = Math.min(end, f + len);
          if (size === 0xffffffff && f + 8 <= fieldEnd) { size = u64(buf, f); f += 8; }
          if (compressedSize === 0xffffffff && f + 8 <= fieldEnd) { compressedSize = u64(buf, f); f += 8; }
          if (localHeaderOffset === 0xffffffff && f + 8 <= fieldEnd) { localHeaderOffset = u64(buf, f); }
          break;
        }
        e += 4 + len;
      }
    }
    entries.push({ name, method, flags, compressedSize, size, localHeaderOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return { entries, prefix };
}

/**
 * The uncompressed bytes of one entry. Inflation stops at the declared size, so an entry that
 * claims little and inflates to much (a zip bomb hiding behind a small directory entry) fails
 * instead of allocating.
 */
export function readZipEntry(buf: Buffer, dir: ZipDirectory, entry: ZipEntry): Buffer {
  const local = dir.prefix + entry.localHeaderOffset;
  need(buf, local, 30, `local header of ${entry.name}`);
  if (buf.readUInt32LE(local) !== LOCAL) throw new ZipFormatError(`local header of ${entry.name} has a bad signature`);
  if ((entry.flags & 0x1) !== 0) throw new ZipFormatError(`${entry.name} is encrypted`);
  const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
  need(buf, dataStart, entry.compressedSize, `data of ${entry.name}`);
  const data = buf.subarray(dataStart, dataStart + entry.compressedSize);
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) throw new ZipFormatError(`${entry.name}: stored entry with differing sizes`);
    return data;
  }
  if (entry.method !== 8) throw new ZipFormatError(`${entry.name}: unsupported compression method ${entry.method}`);
  let out: Buffer;
  try {
    out = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.size) });
  } catch (err) {
    throw new ZipFormatError(`${entry.name}: cannot inflate (${err instanceof Error ? err.message : String(err)})`);
  }
  if (out.length !== entry.size) throw new ZipFormatError(`${entry.name}: inflated to ${out.length} bytes, directory says ${entry.size}`);
  return out;
}
