/**
 * The one ZIP reader (pure apart from the file-backed byte source): jars and wars for the Java
 * analyzer, OSV.dev `all.zip` exports for the advisory import.
 *
 * - Bytes come from a ByteSource: an in-memory buffer (entries are views, never copies, so a
 *   stored nested jar costs nothing) or a file read at offsets (a multi-GB export never sits in
 *   memory whole: only the central directory and one entry at a time).
 * - The central directory is found from the end record, Zip64 included (shaded jars and the npm
 *   export have more than 65,535 entries). Bytes before the archive proper (the launch script of
 *   a "fully executable" Spring Boot jar) are handled as java.util.zip does: the prefix is the gap
 *   between where the directory is and where the end record says it is.
 * - Every inflation is bounded by the declared size, by a per-entry maximum and optionally by a
 *   budget shared by many reads (nested archives), so a bomb fails instead of allocating; entries
 *   whose data overlap (the "non-recursive" zip bomb) are refused when listing; every entry's
 *   CRC-32 is checked.
 *
 * Written here rather than taken from fflate, whose unzipSync silently returned no entries for
 * Zip64 archives and for archives with a prefix, and checks no CRC (docs/decisions.md).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import zlib, { createInflateRaw, inflateRawSync } from 'node:zlib';

/** Anything wrong with an archive: damaged, truncated, unsupported. Nothing else is thrown. */
export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

/** A refusal on size grounds (declared size over a limit, budget spent): the mark of a bomb. */
export class ZipLimitError extends ZipFormatError {
  constructor(message: string) {
    super(message);
    this.name = 'ZipLimitError';
  }
}

/** Random access to the archive bytes. `read` may return fewer bytes only at the end of the source. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Buffer;
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { size: buf.length, read: (offset, length) => buf.subarray(offset, offset + length) };
}

/** A file read with positional reads; `close` releases the descriptor. */
export function fileSource(path: string): ByteSource & { close(): void } {
  const fd = openSync(path, 'r');
  let size: number;
  try {
    size = fstatSync(fd).size;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
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

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32Js(data: Uint8Array, initial: number): number {
  let crc = (initial ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = (CRC_TABLE[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// zlib.crc32 (native, ~40x faster) exists from Node 20.15 / 22.2; earlier Node 20 releases get the table.
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 (IEEE, as ZIP uses), optionally continuing from the CRC of the bytes before `data`. */
export function crc32(data: Uint8Array, initial = 0): number {
  return nativeCrc32 ? nativeCrc32(data, initial) : crc32Js(data, initial);
}

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated; others are reported as unsupported when read. */
  method: number;
  /** General-purpose flags (bit 0: encrypted, bit 11: UTF-8 name). */
  flags: number;
  crc: number;
  compressedSize: number;
  /** Uncompressed size as the central directory declares it. */
  size: number;
  /** Absolute position of the local header in the source (any prefix included). */
  localHeaderOffset: number;
}

export interface ZipDirectory {
  entries: ZipEntry[];
  /** Bytes before the archive proper (a launch script), 0 for a plain archive. */
  prefix: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const EOCD_SIZE = 22;
const LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIZE = 56;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;
/** A central directory larger than this is refused (a million entries need ~100 MB). */
const MAX_CENTRAL_DIRECTORY = 512 * 1024 * 1024;

function u64(buf: Buffer, off: number, what: string): number {
  const v = buf.readBigUInt64LE(off);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError(`${what}: Zip64 value ${v} out of range`);
  return Number(v);
}

/** Exactly `length` bytes at `offset`, or a ZipFormatError naming what lies outside the archive. */
function readExact(src: ByteSource, offset: number, length: number, what: string): Buffer {
  if (offset < 0 || length < 0 || offset + length > src.size) throw new ZipFormatError(`truncated archive: ${what} lies outside the file`);
  const got = src.read(offset, length);
  if (got.length !== length) throw new ZipFormatError(`truncated archive: ${what} could not be read`);
  return got;
}

function toSource(input: Uint8Array | ByteSource): ByteSource {
  return input instanceof Uint8Array ? bufferSource(input) : input;
}

interface EndRecord { count: number; cdSize: number; cdOffset: number; recordStart: number }

function findEndRecord(src: ByteSource): EndRecord {
  if (src.size < EOCD_SIZE) throw new ZipFormatError('not a zip archive (too short)');
  // The end record is the last 22 bytes plus a comment of at most 65,535 bytes; the Zip64 locator
  // sits right before it.
  const tailStart = Math.max(0, src.size - EOCD_SIZE - MAX_COMMENT - LOCATOR_SIZE);
  const tail = readExact(src, tailStart, src.size - tailStart, 'end of central directory');
  let eocd = -1;
  const lowest = Math.max(0, tail.length - EOCD_SIZE - MAX_COMMENT);
  for (let i = tail.length - EOCD_SIZE; i >= lowest; i--) {
    if (tail[i] === 0x50 && tail.readUInt32LE(i) === EOCD) { eocd = i; break; }
  }
  if (eocd < 0) throw new ZipFormatError('not a zip archive (no end of central directory record)');
  const end: EndRecord = {
    count: tail.readUInt16LE(eocd + 10),
    cdSize: tail.readUInt32LE(eocd + 12),
    cdOffset: tail.readUInt32LE(eocd + 16),
    recordStart: tailStart + eocd,
  };
  const locator = eocd - LOCATOR_SIZE;
  if (locator < 0 || tail.readUInt32LE(locator) !== ZIP64_LOCATOR) return end;
  // Zip64: the real counts and offsets are in the record the locator points to. The locator's
  // offset is prefix-relative; without a prefix it is exact (and allows extensible data in the
  // record), with one the record is the 56 bytes before the locator.
  const locatorAt = tailStart + locator;
  const stated = u64(tail, locator + 8, 'Zip64 locator');
  const statedOk = stated + ZIP64_EOCD_SIZE <= locatorAt && readExact(src, stated, 4, 'Zip64 end record').readUInt32LE(0) === ZIP64_EOCD;
  const at = statedOk ? stated : locatorAt - ZIP64_EOCD_SIZE;
  const rec = readExact(src, at, ZIP64_EOCD_SIZE, 'Zip64 end of central directory');
  if (rec.readUInt32LE(0) !== ZIP64_EOCD) throw new ZipFormatError('Zip64 locator without a Zip64 end record');
  return { count: u64(rec, 32, 'Zip64 entry count'), cdSize: u64(rec, 40, 'Zip64 directory size'), cdOffset: u64(rec, 48, 'Zip64 directory offset'), recordStart: at };
}

/**
 * Reads the central directory. Throws ZipFormatError when there is none, it is damaged or
 * truncated, or entries' data overlap one another or the directory.
 */
export function readZipDirectory(input: Uint8Array | ByteSource): ZipDirectory {
  const src = toSource(input);
  const { count, cdSize, cdOffset, recordStart } = findEndRecord(src);
  if (cdSize > MAX_CENTRAL_DIRECTORY) throw new ZipFormatError(`central directory of ${cdSize} bytes is over the limit`);
  // Each central header takes at least 46 bytes, which bounds a lying count.
  if (count > cdSize / CENTRAL_SIZE) throw new ZipFormatError(`central directory claims ${count} entries in ${cdSize} bytes`);
  let cdStart = recordStart - cdSize;
  let prefix = cdStart - cdOffset;
  if (cdStart < 0 || prefix < 0) throw new ZipFormatError('truncated archive: central directory offsets do not fit the file');
  // Something between the directory and the end record (a signature record) makes the gap look
  // like a prefix; the directory is then where the end record says.
  if (prefix > 0 && count > 0 && !hasSignature(src, cdStart, CENTRAL) && hasSignature(src, cdOffset, CENTRAL)) {
    cdStart = cdOffset;
    prefix = 0;
  }
  const cd = readExact(src, cdStart, cdSize, 'central directory');
  return { entries: parseCentralDirectory(cd, count, prefix, cdStart), prefix };
}

function hasSignature(src: ByteSource, at: number, signature: number): boolean {
  return at + 4 <= src.size && src.read(at, 4).readUInt32LE(0) === signature;
}

/** The entries in directory order; the vulndb import's name for readZipDirectory(...).entries. */
export function listZipEntries(input: Uint8Array | ByteSource): ZipEntry[] {
  return readZipDirectory(input).entries;
}

// Plain byte arithmetic: the directory loop runs once per entry (70,000 in a shaded jar), and
// Buffer's checked readers cost measurably more there; bounds are checked once per entry instead.
function le16(b: Buffer, at: number): number {
  return (b[at] as number) | ((b[at + 1] as number) << 8);
}
function le32(b: Buffer, at: number): number {
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16)) + (b[at + 3] as number) * 0x1000000;
}

function parseCentralDirectory(cd: Buffer, count: number, prefix: number, cdStart: number): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + CENTRAL_SIZE > cd.length) throw new ZipFormatError(`truncated archive: central directory entry ${i} lies outside the directory`);
    if (le32(cd, p) !== CENTRAL) throw new ZipFormatError(`central directory entry ${i} has a bad signature`);
    const flags = le16(cd, p + 8);
    const method = le16(cd, p + 10);
    const crc = le32(cd, p + 16);
    let compressedSize = le32(cd, p + 20);
    let size = le32(cd, p + 24);
    const nameLen = le16(cd, p + 28);
    const extraLen = le16(cd, p + 30);
    const commentLen = le16(cd, p + 32);
    let localHeaderOffset = le32(cd, p + 42);
    const next = p + CENTRAL_SIZE + nameLen + extraLen + commentLen;
    if (next > cd.length) throw new ZipFormatError(`truncated archive: central directory entry ${i} lies outside the directory`);
    // Bit 11: UTF-8 names; otherwise CP437, whose ASCII subset is all that jar and advisory names use.
    const name = cd.toString((flags & 0x800) !== 0 ? 'utf8' : 'latin1', p + CENTRAL_SIZE, p + CENTRAL_SIZE + nameLen);
    if (size === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      // Zip64 extra field: 64-bit values only for the saturated fields, in this order.
      let e = p + CENTRAL_SIZE + nameLen;
      const end = e + extraLen;
      while (e + 4 <= end) {
        const id = cd.readUInt16LE(e);
        const len = cd.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let f = e + 4;
          const fieldEnd = Math.min(end, f + len);
          const what = `Zip64 field of ${name}`;
          if (size === 0xffffffff && f + 8 <= fieldEnd) { size = u64(cd, f, what); f += 8; }
          if (compressedSize === 0xffffffff && f + 8 <= fieldEnd) { compressedSize = u64(cd, f, what); f += 8; }
          if (localHeaderOffset === 0xffffffff && f + 8 <= fieldEnd) localHeaderOffset = u64(cd, f, what);
          break;
        }
        e += 4 + len;
      }
    }
    entries.push({ name, method, flags, crc, compressedSize, size, localHeaderOffset: prefix + localHeaderOffset });
    p = next;
  }
  checkNoOverlap(entries, cdStart);
  return entries;
}

/**
 * Each entry's local header and data must end before the next entry starts and before the
 * directory. The name and extra fields of the local header are not counted (they are only known
 * after reading it), so the check never refuses a well-formed archive; it does refuse the
 * overlapping-entries bomb, where many entries share one highly compressed stream.
 */
function checkNoOverlap(entries: ZipEntry[], cdStart: number): void {
  let ordered = true;
  for (let i = 1; i < entries.length && ordered; i++) ordered = (entries[i] as ZipEntry).localHeaderOffset > (entries[i - 1] as ZipEntry).localHeaderOffset;
  const byOffset = ordered ? entries : [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let i = 0; i < byOffset.length; i++) {
    const e = byOffset[i] as ZipEntry;
    const limit = i + 1 < byOffset.length ? (byOffset[i + 1] as ZipEntry).localHeaderOffset : cdStart;
    if (e.localHeaderOffset + LOCAL_SIZE + e.compressedSize > limit) {
      throw new ZipFormatError(`${e.name}: data overlaps ${i + 1 < byOffset.length ? `entry ${(byOffset[i + 1] as ZipEntry).name}` : 'the central directory'} (overlapping entries: zip bomb or damaged archive)`);
    }
  }
}

/**
 * Bytes inflated across many reads (all the archives nested in one outer archive): every read
 * charges the declared size before inflating, and the read that would go over the limit fails.
 */
export class InflateBudget {
  #used = 0;
  constructor(readonly limit: number) {}
  get used(): number {
    return this.#used;
  }
  charge(bytes: number): void {
    if (this.#used + bytes > this.limit) throw new ZipLimitError(`more than ${this.limit} bytes to inflate (zip bomb?)`);
    this.#used += bytes;
  }
}

/** Checks an entry against the limits and returns where its data starts. */
function locateData(src: ByteSource, entry: ZipEntry, maxSize: number, budget: InflateBudget | undefined): number {
  if (entry.size > maxSize) throw new ZipLimitError(`${entry.name}: declared size ${entry.size} exceeds the limit of ${maxSize} bytes`);
  if ((entry.flags & 0x1) !== 0) throw new ZipFormatError(`${entry.name} is encrypted`);
  if (entry.method !== 0 && entry.method !== 8) throw new ZipFormatError(`${entry.name}: unsupported compression method ${entry.method}`);
  if (entry.method === 0 && entry.compressedSize !== entry.size) throw new ZipFormatError(`${entry.name}: stored entry with differing sizes`);
  const header = readExact(src, entry.localHeaderOffset, LOCAL_SIZE, `local header of ${entry.name}`);
  if (header.readUInt32LE(0) !== LOCAL) throw new ZipFormatError(`local header of ${entry.name} has a bad signature`);
  const dataStart = entry.localHeaderOffset + LOCAL_SIZE + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (dataStart + entry.compressedSize > src.size) throw new ZipFormatError(`truncated archive: data of ${entry.name} lies outside the file`);
  budget?.charge(entry.size);
  return dataStart;
}

function checkCrc(entry: ZipEntry, actual: number): void {
  if (actual !== entry.crc) throw new ZipFormatError(`${entry.name}: CRC-32 mismatch (corrupt archive)`);
}

export interface ZipReadOptions {
  /** Charged with the entry's declared size before it is inflated. */
  budget?: InflateBudget;
  /**
   * Check the CRC-32 (default true). A caller that opens a stored nested archive and checks the
   * entries it reads inside it may skip the outer check, which would cover bytes never used.
   */
  verifyCrc?: boolean;
}

/**
 * The uncompressed bytes of one entry, CRC-checked. Inflation stops at the declared size, so an
 * entry that claims little and inflates to much fails instead of allocating; `maxSize` bounds the
 * declared size and the budget, when given, the total over many reads. Stored entries of a buffer
 * source are views of it.
 */
export function readZipEntry(input: Uint8Array | ByteSource, entry: ZipEntry, maxSize: number, options: ZipReadOptions = {}): Buffer {
  const src = toSource(input);
  const dataStart = locateData(src, entry, maxSize, options.budget);
  const data = readExact(src, dataStart, entry.compressedSize, `data of ${entry.name}`);
  let out = data;
  if (entry.method === 8) {
    try {
      out = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.size) });
    } catch (err) {
      throw new ZipFormatError(`${entry.name}: cannot inflate (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  if (out.length !== entry.size) throw new ZipFormatError(`${entry.name}: inflated to ${out.length} bytes, directory says ${entry.size}`);
  if (options.verifyCrc !== false) checkCrc(entry, crc32(out));
  return out;
}

const STREAM_CHUNK = 1 << 20;

function* rawChunks(src: ByteSource, start: number, length: number, name: string): Generator<Buffer> {
  for (let done = 0; done < length; done += STREAM_CHUNK) {
    yield readExact(src, start + done, Math.min(STREAM_CHUNK, length - done), `data of ${name}`);
  }
}

/**
 * One entry as a stream of chunks, for entries too large to hold whole. The same limits as
 * readZipEntry apply; output past the declared size, a short entry or a CRC mismatch ends the
 * stream with a ZipFormatError (after the chunks already delivered, so consumers must treat the
 * data as unverified until the stream ends cleanly).
 */
export function zipEntryStream(input: Uint8Array | ByteSource, entry: ZipEntry, maxSize: number, options: ZipReadOptions = {}): Readable {
  const src = toSource(input);
  const verify = options.verifyCrc !== false;
  async function* checked(): AsyncGenerator<Buffer> {
    const dataStart = locateData(src, entry, maxSize, options.budget);
    const raw = Readable.from(rawChunks(src, dataStart, entry.compressedSize, entry.name), { objectMode: false });
    const body = entry.method === 8 ? pipeline(raw, createInflateRaw({ chunkSize: 1 << 16 }), () => {}) : raw;
    let total = 0;
    let crc = 0;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > entry.size) throw new ZipFormatError(`${entry.name}: inflates past its declared size of ${entry.size} bytes`);
        if (verify) crc = crc32(chunk, crc);
        yield chunk;
      }
    } catch (err) {
      if (err instanceof ZipFormatError) throw err;
      throw new ZipFormatError(`${entry.name}: cannot inflate (${err instanceof Error ? err.message : String(err)})`);
    } finally {
      body.destroy();
      raw.destroy();
    }
    if (total !== entry.size) throw new ZipFormatError(`${entry.name}: inflated to ${total} bytes, directory says ${entry.size}`);
    if (verify) checkCrc(entry, crc);
  }
  return Readable.from(checked(), { objectMode: false });
}
