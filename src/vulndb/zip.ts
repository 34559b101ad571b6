/**
 * A small ZIP reader for advisory archives (OSV.dev's per-ecosystem `all.zip`): walks the central
 * directory (zip64 too: the npm export has more than 65,535 entries), inflates one entry at a time and
 * checks each entry's CRC-32, which fflate's unzip does not. Pure: bytes in, entries out.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';

/**
 * Random access to the archive bytes: a Buffer, or a file read at offsets so a multi-GB export never
 * sits in memory whole (only the central directory and one entry at a time).
 */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Buffer;
}

export function bufferSource(buf: Buffer): ByteSource {
  return { size: buf.length, read: (offset, length) => buf.subarray(offset, offset + length) };
}

export function fileSource(path: string): ByteSource & { close(): void } {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  return {
    size,
    read(offset, length) {
      const out = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return out.subarray(0, done);
    },
    close: () => closeSync(fd),
  };
}

export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = (CRC_TABLE[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export interface ZipEntryInfo {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

function readU64(buf: Buffer, offset: number): number {
  const v = buf.readBigUInt64LE(offset);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError('zip64 value too large');
  return Number(v);
}

function need(size: number, offset: number, length: number, what: string): void {
  if (offset < 0 || length < 0 || offset + length > size) throw new ZipFormatError(`truncated archive (${what} out of bounds)`);
}

/** Central directory larger than this is refused (a million entries need ~100 MB). */
const MAX_CENTRAL_DIRECTORY = 512 * 1024 * 1024;

/** Lists the entries from the central directory. Throws ZipFormatError on a truncated or corrupt archive. */
export function listZipEntries(input: Buffer | ByteSource): ZipEntryInfo[] {
  const src = Buffer.isBuffer(input) ? bufferSource(input) : input;
  const minEocd = 22;
  if (src.size < minEocd) throw new ZipFormatError('not a zip archive (too short)');
  const tailStart = Math.max(0, src.size - minEocd - 0xffff - 20);
  const tail = src.read(tailStart, src.size - tailStart);
  let eocd = -1;
  for (let i = tail.length - minEocd; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError('not a zip archive (no end of central directory record)');
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || tail.readUInt32LE(locator) !== 0x07064b50) throw new ZipFormatError('zip64 locator missing');
    const z64 = readU64(tail, locator + 8);
    need(src.size, z64, 56, 'zip64 end record');
    const rec = src.read(z64, 56);
    if (rec.readUInt32LE(0) !== 0x06064b50) throw new ZipFormatError('zip64 end record missing');
    count = readU64(rec, 32);
    cdSize = readU64(rec, 40);
    cdOffset = readU64(rec, 48);
  }
  need(src.size, cdOffset, cdSize, 'central directory');
  if (cdSize > MAX_CENTRAL_DIRECTORY) throw new ZipFormatError(`central directory of ${cdSize} bytes is over the limit`);
  const buf = src.read(cdOffset, cdSize);
  const entries: ZipEntryInfo[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    need(buf.length, p, 46, 'central directory entry');
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new ZipFormatError(`bad central directory entry #${i}`);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    let compressedSize = buf.readUInt32LE(p + 20);
    let size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    let localHeaderOffset = buf.readUInt32LE(p + 42);
    need(buf.length, p + 46, nameLen + extraLen + commentLen, 'central directory entry name');
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    // zip64 extra field: the 64-bit values appear only for the fields saturated at 0xffffffff, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const tag = buf.readUInt16LE(e);
      const len = buf.readUInt16LE(e + 2);
      if (tag === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff && q + 8 <= e + 4 + len) {
          size = readU64(buf, q);
          q += 8;
        }
        if (compressedSize === 0xffffffff && q + 8 <= e + 4 + len) {
          compressedSize = readU64(buf, q);
          q += 8;
        }
        if (localHeaderOffset === 0xffffffff && q + 8 <= e + 4 + len) localHeaderOffset = readU64(buf, q);
      }
      e += 4 + len;
    }
    entries.push({ name, method, crc, compressedSize, size, localHeaderOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Decompresses one entry and verifies its size and CRC-32. `maxSize` bounds memory per entry. */
export function readZipEntry(input: Buffer | ByteSource, entry: ZipEntryInfo, maxSize: number): Buffer {
  const src = Buffer.isBuffer(input) ? bufferSource(input) : input;
  if (entry.size > maxSize) throw new ZipFormatError(`entry ${entry.name} is ${entry.size} bytes, over the ${maxSize}-byte limit`);
  if (entry.compressedSize > maxSize + 1024 * 1024) throw new ZipFormatError(`entry ${entry.name}: compressed size ${entry.compressedSize} is implausible`);
  const h = entry.localHeaderOffset;
  need(src.size, h, 30, `local header of ${entry.name}`);
  const header = src.read(h, 30);
  if (header.readUInt32LE(0) !== 0x04034b50) throw new ZipFormatError(`bad local header for ${entry.name}`);
  const start = h + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  need(src.size, start, entry.compressedSize, `data of ${entry.name}`);
  const raw = src.read(start, entry.compressedSize);
  let data: Buffer;
  if (entry.method === 0) data = Buffer.from(raw);
  else if (entry.method === 8) {
    try {
      data = inflateRawSync(raw, { maxOutputLength: Math.max(1, maxSize) });
    } catch (err) {
      throw new ZipFormatError(`cannot inflate ${entry.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else throw new ZipFormatError(`entry ${entry.name} uses unsupported compression method ${entry.method}`);
  if (data.length !== entry.size) throw new ZipFormatError(`entry ${entry.name}: size ${data.length} != ${entry.size}`);
  if (crc32(data) !== entry.crc) throw new ZipFormatError(`entry ${entry.name}: CRC-32 mismatch (corrupt archive)`);
  return data;
}
