/**
 * A small ZIP reader for advisory archives (OSV.dev's per-ecosystem `all.zip`): walks the central
 * directory (zip64 too: the npm export has more than 65,535 entries), inflates one entry at a time and
 * checks each entry's CRC-32, which fflate's unzip does not. Pure: bytes in, entries out.
 */
import { inflateRawSync } from 'node:zlib';

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

function need(buf: Buffer, offset: number, length: number, what: string): void {
  if (offset < 0 || offset + length > buf.length) throw new ZipFormatError(`truncated archive (${what} out of bounds)`);
}

/** Lists the entries from the central directory. Throws ZipFormatError on a truncated or corrupt archive. */
export function listZipEntries(buf: Buffer): ZipEntryInfo[] {
  const minEocd = 22;
  if (buf.length < minEocd) throw new ZipFormatError('not a zip archive (too short)');
  let eocd = -1;
  const searchFrom = Math.max(0, buf.length - minEocd - 0xffff);
  for (let i = buf.length - minEocd; i >= searchFrom; i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError('not a zip archive (no end of central directory record)');
  let count = buf.readUInt16LE(eocd + 10);
  let cdSize = buf.readUInt32LE(eocd + 12);
  let cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) {
    const locator = eocd - 20;
    need(buf, locator, 20, 'zip64 locator');
    if (buf.readUInt32LE(locator) !== 0x07064b50) throw new ZipFormatError('zip64 locator missing');
    const z64 = readU64(buf, locator + 8);
    need(buf, z64, 56, 'zip64 end record');
    if (buf.readUInt32LE(z64) !== 0x06064b50) throw new ZipFormatError('zip64 end record missing');
    count = readU64(buf, z64 + 32);
    cdSize = readU64(buf, z64 + 40);
    cdOffset = readU64(buf, z64 + 48);
  }
  need(buf, cdOffset, cdSize, 'central directory');
  const entries: ZipEntryInfo[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    need(buf, p, 46, 'central directory entry');
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new ZipFormatError(`bad central directory entry #${i}`);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    let compressedSize = buf.readUInt32LE(p + 20);
    let size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    let localHeaderOffset = buf.readUInt32LE(p + 42);
    need(buf, p + 46, nameLen + extraLen + commentLen, 'central directory entry name');
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
export function readZipEntry(buf: Buffer, entry: ZipEntryInfo, maxSize: number): Buffer {
  if (entry.size > maxSize) throw new ZipFormatError(`entry ${entry.name} is ${entry.size} bytes, over the ${maxSize}-byte limit`);
  const h = entry.localHeaderOffset;
  need(buf, h, 30, `local header of ${entry.name}`);
  if (buf.readUInt32LE(h) !== 0x04034b50) throw new ZipFormatError(`bad local header for ${entry.name}`);
  const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28);
  need(buf, start, entry.compressedSize, `data of ${entry.name}`);
  const raw = buf.subarray(start, start + entry.compressedSize);
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
