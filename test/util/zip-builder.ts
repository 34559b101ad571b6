/**
 * A ZIP writer for tests of the reader: unlike fflate it can write the Zip64 forms of small
 * archives and put a prefix before the archive, and it reports where each record starts so a
 * test can make one of them lie.
 */
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/util/zip.ts';

export interface BuildEntry {
  name: string;
  data: Uint8Array;
  /** 0 stored, 8 deflated (default). */
  method?: 0 | 8;
}

export interface BuildOptions {
  /** Bytes before the archive (a launch script); offsets inside stay relative to the archive. */
  prefix?: Uint8Array;
  /** Write Zip64 extra fields and end records although the values would fit. */
  zip64?: boolean;
}

export interface BuiltZip {
  bytes: Buffer;
  /** Absolute positions (prefix included) of each entry's local and central header. */
  local: number[];
  central: number[];
  /** Absolute position of the (32-bit) end record and, with zip64, of the Zip64 end record. */
  eocd: number;
  zip64Eocd?: number;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}
function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

export function buildZip(entries: BuildEntry[], options: BuildOptions = {}): BuiltZip {
  const prefix = Buffer.from(options.prefix ?? new Uint8Array(0));
  const zip64 = options.zip64 === true;
  const parts: Buffer[] = [];
  let at = 0;
  const push = (b: Buffer): void => {
    parts.push(b);
    at += b.length;
  };
  const local: number[] = [];
  const records: { name: Buffer; method: number; crc: number; csize: number; size: number; offset: number }[] = [];
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const method = e.method ?? 8;
    const data = method === 8 ? deflateRawSync(e.data) : Buffer.from(e.data);
    const crc = crc32(e.data);
    local.push(prefix.length + at);
    records.push({ name, method, crc, csize: data.length, size: e.data.length, offset: at });
    const extra = zip64 ? Buffer.concat([u16(1), u16(16), u64(e.data.length), u64(data.length)]) : Buffer.alloc(0);
    push(Buffer.concat([
      u32(0x04034b50), u16(zip64 ? 45 : 20), u16(0x800), u16(method), u16(0), u16(0x21), u32(crc),
      u32(zip64 ? 0xffffffff : data.length), u32(zip64 ? 0xffffffff : e.data.length), u16(name.length), u16(extra.length), name, extra, data,
    ]));
  }
  const cdOffset = at;
  const central: number[] = [];
  for (const r of records) {
    central.push(prefix.length + at);
    const extra = zip64 ? Buffer.concat([u16(1), u16(24), u64(r.size), u64(r.csize), u64(r.offset)]) : Buffer.alloc(0);
    const big = (n: number): number => (zip64 ? 0xffffffff : n);
    push(Buffer.concat([
      u32(0x02014b50), u16(45), u16(zip64 ? 45 : 20), u16(0x800), u16(r.method), u16(0), u16(0x21), u32(r.crc),
      u32(big(r.csize)), u32(big(r.size)), u16(r.name.length), u16(extra.length), u16(0), u16(0), u16(0), u32(0), u32(big(r.offset)), r.name, extra,
    ]));
  }
  const cdSize = at - cdOffset;
  let zip64Eocd: number | undefined;
  if (zip64) {
    zip64Eocd = prefix.length + at;
    const recordAt = at;
    push(Buffer.concat([u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0), u64(records.length), u64(records.length), u64(cdSize), u64(cdOffset)]));
    push(Buffer.concat([u32(0x07064b50), u32(0), u64(recordAt), u32(1)]));
  }
  const eocd = prefix.length + at;
  push(Buffer.concat([
    u32(0x06054b50), u16(0), u16(0), u16(zip64 ? 0xffff : records.length), u16(zip64 ? 0xffff : records.length),
    u32(zip64 ? 0xffffffff : cdSize), u32(zip64 ? 0xffffffff : cdOffset), u16(0),
  ]));
  return { bytes: Buffer.concat([prefix, ...parts]), local, central, eocd, ...(zip64Eocd === undefined ? {} : { zip64Eocd }) };
}
