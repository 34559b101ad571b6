/**
 * Indexes a tar file's regular-file entries (name → data offset and size) by reading headers
 * only and seeking over data, so an image archive of any size is opened without extracting it
 * and its blobs can be streamed with createReadStream({ start, end }).
 *
 * Understands ustar/GNU/PAX: the ustar prefix field, PAX `path`/`size` records, GNU `L` long
 * names, base-256 sizes. The header parsing (`parseTarHeader`) is pure and fuzzed.
 */
import { open } from 'node:fs/promises';
import { UserInputError } from '../../util/errors.ts';
import { normalizeEntryPath } from './paths.ts';

const BLOCK = 512;
/** Metadata records (PAX, GNU long names) are small; a huge one is a hostile archive. */
const MAX_META_RECORD = 1024 * 1024;
const MAX_ENTRIES = 1_000_000;

export interface TarIndexEntry {
  /** Offset of the entry's data in the file. */
  offset: number;
  size: number;
}

export interface RawTarHeader {
  name: string;
  size: number;
  typeflag: string;
  linkname: string;
}

function readString(block: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && block[end] !== 0) end++;
  return Buffer.from(block.buffer, block.byteOffset + start, end - start).toString('utf8');
}

function readNumber(block: Uint8Array, start: number, length: number): number {
  const first = block[start] ?? 0;
  if (first & 0x80) {
    // GNU base-256: big-endian two's complement with the top bit as the marker.
    let value = first & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + (block[i] ?? 0);
    return value;
  }
  const text = readString(block, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return NaN;
  return parseInt(text, 8);
}

function checksumOk(block: Uint8Array): boolean {
  const stored = readNumber(block, 148, 8);
  let unsigned = 0;
  for (let i = 0; i < BLOCK; i++) unsigned += i >= 148 && i < 156 ? 32 : (block[i] ?? 0);
  return stored === unsigned;
}

/** Parses one 512-byte header; undefined for an all-zero (end) block; throws on a corrupt one. */
export function parseTarHeader(block: Uint8Array): RawTarHeader | undefined {
  if (block.length !== BLOCK) throw new Error('short header block');
  if (block.every((b) => b === 0)) return undefined;
  if (!checksumOk(block)) throw new Error('bad header checksum');
  const size = readNumber(block, 124, 12);
  if (!Number.isSafeInteger(size) || size < 0) throw new Error('bad size field');
  let name = readString(block, 0, 100);
  const magic = readString(block, 257, 6);
  if (magic === 'ustar') {
    const prefix = readString(block, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  return { name, size, typeflag: String.fromCharCode(block[156] ?? 0), linkname: readString(block, 157, 100) };
}

/** PAX extended header records: `LEN key=value\n`…; returns the keys we use. */
export function parsePaxRecords(data: Buffer): { path?: string; size?: number } {
  const out: { path?: string; size?: number } = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const len = Number(data.toString('ascii', pos, space));
    if (!Number.isInteger(len) || len <= space - pos || pos + len > data.length) throw new Error('bad PAX record');
    const record = data.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) {
      const key = record.slice(0, eq);
      const value = record.slice(eq + 1);
      if (key === 'path') out.path = value;
      else if (key === 'size' && /^\d+$/.test(value)) out.size = Number(value);
    }
    pos += len;
  }
  return out;
}

/**
 * Reads the headers of `file`; returns its regular files by normalised path (later duplicates win,
 * as extraction would). Throws UserInputError naming the file when the archive is not a tar or is cut short.
 */
export async function indexTarFile(file: string): Promise<Map<string, TarIndexEntry>> {
  const handle = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new UserInputError(`cannot open archive ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`, 'invalid_target');
  });
  try {
    const { size: fileSize } = await handle.stat();
    const entries = new Map<string, TarIndexEntry>();
    const block = Buffer.alloc(BLOCK);
    let pos = 0;
    let pendingName: string | undefined;
    let pendingSize: number | undefined;
    let count = 0;
    let sawEnd = false;
    const fail = (why: string): never => {
      throw new UserInputError(`${file} is not a valid tar archive: ${why} at offset ${pos}`, 'invalid_archive');
    };
    const readMeta = async (size: number): Promise<Buffer> => {
      if (size > MAX_META_RECORD) fail(`metadata record of ${size} bytes`);
      const data = Buffer.alloc(size);
      const { bytesRead } = await handle.read(data, 0, size, pos + BLOCK);
      if (bytesRead < size) fail('truncated metadata record');
      return data;
    };
    while (pos + BLOCK <= fileSize) {
      const { bytesRead } = await handle.read(block, 0, BLOCK, pos);
      if (bytesRead < BLOCK) fail('truncated header');
      let header: RawTarHeader | undefined;
      try {
        header = parseTarHeader(block);
      } catch (err) {
        fail((err as Error).message);
      }
      if (!header) {
        sawEnd = true;
        break;
      }
      if (++count > MAX_ENTRIES) fail(`more than ${MAX_ENTRIES} entries`);
      const dataSize = header.typeflag === 'x' || header.typeflag === 'L' || header.typeflag === 'g' || header.typeflag === 'K'
        ? header.size
        : (pendingSize ?? header.size);
      if (header.typeflag === 'x') {
        const pax = parsePaxRecords(await readMeta(dataSize));
        if (pax.path !== undefined) pendingName = pax.path;
        if (pax.size !== undefined) pendingSize = pax.size;
      } else if (header.typeflag === 'L') {
        pendingName = (await readMeta(dataSize)).toString('utf8').replace(/\0+$/, '');
      } else if (header.typeflag !== 'g' && header.typeflag !== 'K') {
        const name = pendingName ?? header.name;
        pendingName = undefined;
        pendingSize = undefined;
        if (pos + BLOCK + dataSize > fileSize) fail(`entry ${JSON.stringify(name)} is cut short`);
        const normalized = normalizeEntryPath(name);
        if (normalized.ok && (header.typeflag === '0' || header.typeflag === '\0' || header.typeflag === '7')) {
          entries.set(normalized.path, { offset: pos + BLOCK, size: dataSize });
        } else if (normalized.ok && header.typeflag === '1') {
          const target = normalizeEntryPath(header.linkname);
          const existing = target.ok ? entries.get(target.path) : undefined;
          if (existing) entries.set(normalized.path, existing);
        }
      }
      pos += BLOCK + Math.ceil(dataSize / BLOCK) * BLOCK;
    }
    if (count === 0) fail('no entries');
    // Without an end-of-archive block the file must end exactly after the last entry's padding.
    if (!sawEnd && pos !== fileSize) fail('archive is cut short');
    return entries;
  } finally {
    await handle.close();
  }
}
