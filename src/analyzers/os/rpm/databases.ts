/**
 * The three rpmdb storage formats, each reduced to "the list of package header blobs":
 * - SQLite `rpmdb.sqlite` (rpm ≥ 4.16: Fedora 33+, RHEL 9, Mariner/Azure Linux): table Packages(hnum, blob).
 * - Berkeley DB hash `Packages` (RHEL ≤ 8, CentOS, Amazon Linux 2): values live on overflow-page chains.
 * - NDB `Packages.db` (SUSE): slot pages pointing at 16-byte-aligned blob blocks.
 * All three are read from an in-memory buffer; every page number, offset and length is bounds-checked
 * and every page chain is walked at most once, so corrupt files fail fast instead of looping.
 */
import Database from 'better-sqlite3';

export class RpmDbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RpmDbError';
  }
}

export type RpmDbFormat = 'sqlite' | 'bdb' | 'ndb';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function detectRpmDbFormat(buf: Buffer): RpmDbFormat | undefined {
  if (buf.length >= 16 && buf.subarray(0, 16).equals(SQLITE_MAGIC)) return 'sqlite';
  if (buf.length >= 4 && buf.readUInt32LE(0) === NDB_HEADER_MAGIC) return 'ndb';
  if (buf.length >= 16 && (buf.readUInt32LE(12) === BDB_HASH_MAGIC || buf.readUInt32BE(12) === BDB_HASH_MAGIC)) return 'bdb';
  return undefined;
}

export function readRpmDbBlobs(buf: Buffer): { format: RpmDbFormat; blobs: Buffer[] } {
  const format = detectRpmDbFormat(buf);
  switch (format) {
    case 'sqlite': return { format, blobs: readSqliteBlobs(buf) };
    case 'bdb': return { format, blobs: readBdbBlobs(buf) };
    case 'ndb': return { format, blobs: readNdbBlobs(buf) };
    default: throw new RpmDbError('not an rpm database (neither SQLite, Berkeley DB hash nor NDB)');
  }
}

// ---------- SQLite ----------

export function readSqliteBlobs(buf: Buffer): Buffer[] {
  let db: Database.Database;
  try {
    // better-sqlite3 deserialises a Buffer into an in-memory database: nothing touches the disk.
    // A WAL-mode database (header bytes 18/19 = 2) cannot be opened from memory, so the copy is
    // declared a rollback-journal file. Rows still only in a sibling -wal file are not seen; rpm
    // checkpoints when it closes the database, so images built normally have none.
    const copy = Buffer.from(buf);
    if (copy.length > 19 && (copy[18] === 2 || copy[19] === 2)) { copy[18] = 1; copy[19] = 1; }
    db = new Database(copy, { readonly: true });
  } catch (err) {
    throw new RpmDbError(`cannot open SQLite rpmdb: ${(err as Error).message}`);
  }
  try {
    const rows = db.prepare('SELECT blob FROM Packages ORDER BY hnum').raw(true).all() as unknown[][];
    const out: Buffer[] = [];
    for (const r of rows) {
      const b = r[0];
      if (Buffer.isBuffer(b)) out.push(b);
    }
    return out;
  } catch (err) {
    throw new RpmDbError(`cannot read Packages table: ${(err as Error).message}`);
  } finally {
    db.close();
  }
}

// ---------- Berkeley DB hash ----------

const BDB_HASH_MAGIC = 0x061561;
const PAGE_HEADER = 26;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const VALID_PAGE_SIZES = new Set([512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);

export function readBdbBlobs(buf: Buffer): Buffer[] {
  if (buf.length < 512) throw new RpmDbError(`Berkeley DB file too short (${buf.length} bytes)`);
  const le = buf.readUInt32LE(12) === BDB_HASH_MAGIC;
  if (!le && buf.readUInt32BE(12) !== BDB_HASH_MAGIC) throw new RpmDbError('not a Berkeley DB hash database');
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u16 = (o: number): number => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const pageSize = u32(20);
  if (!VALID_PAGE_SIZES.has(pageSize)) throw new RpmDbError(`unexpected Berkeley DB page size ${pageSize}`);
  if (buf[24] !== 0) throw new RpmDbError('encrypted Berkeley DB is not supported');
  if (buf[25] !== P_HASHMETA) throw new RpmDbError(`first page is type ${buf[25]}, not hash metadata`);
  const pagesInFile = Math.floor(buf.length / pageSize);
  const lastPage = Math.min(u32(32), pagesInFile - 1);

  const blobs: Buffer[] = [];
  // In a sound database every overflow page belongs to exactly one item. Sharing pages across
  // chains is how a hostile file would turn a small input into unbounded work and memory.
  const usedOverflowPages = new Set<number>();
  for (let pg = 1; pg <= lastPage; pg++) {
    const base = pg * pageSize;
    const type = buf[base + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const entries = u16(base + 20);
    if (PAGE_HEADER + entries * 2 > pageSize) throw new RpmDbError(`page ${pg}: ${entries} entries cannot fit`);
    // Items are key/value pairs; the package header is the value (odd index).
    for (let i = 1; i < entries; i += 2) {
      const itemOff = u16(base + PAGE_HEADER + i * 2);
      if (itemOff < PAGE_HEADER || itemOff >= pageSize) throw new RpmDbError(`page ${pg}: item offset ${itemOff} out of page`);
      const item = base + itemOff;
      const itemType = buf[item];
      if (itemType === H_OFFPAGE) {
        if (itemOff + 12 > pageSize) throw new RpmDbError(`page ${pg}: truncated off-page item`);
        blobs.push(readOverflowChain(buf, u32(item + 4), u32(item + 8), pageSize, pagesInFile, usedOverflowPages, u16, u32));
      } else if (itemType === H_KEYDATA) {
        // Items fill the page from its end downwards: an item ends where the previous one starts.
        const keyOff = u16(base + PAGE_HEADER + (i - 1) * 2);
        if (keyOff <= itemOff || keyOff > pageSize) throw new RpmDbError(`page ${pg}: bad inline item bounds`);
        // Key 0 is rpm's bookkeeping record (the highest package instance number), not a header.
        const keyEnd = i >= 3 ? u16(base + PAGE_HEADER + (i - 2) * 2) : pageSize;
        const key = buf.subarray(base + keyOff + 1, base + Math.min(keyEnd, pageSize));
        if (key.length === 4 && key.readUInt32LE(0) === 0) continue;
        blobs.push(Buffer.from(buf.subarray(item + 1, base + keyOff)));
      }
    }
  }
  return blobs;
}

function readOverflowChain(
  buf: Buffer, firstPage: number, totalLength: number, pageSize: number, pagesInFile: number,
  used: Set<number>, u16: (o: number) => number, u32: (o: number) => number,
): Buffer {
  // A chain cannot hold more than its pages do; a larger claimed length is corrupt.
  const room = (pagesInFile - used.size) * (pageSize - PAGE_HEADER);
  if (totalLength > room) throw new RpmDbError(`overflow item claims ${totalLength} bytes, only ${room} can remain in the file`);
  const out = Buffer.alloc(totalLength);
  let filled = 0;
  let pg = firstPage;
  while (pg !== 0 && filled < totalLength) {
    if (pg >= pagesInFile) throw new RpmDbError(`overflow page ${pg} beyond end of file`);
    if (used.has(pg)) throw new RpmDbError(`overflow page ${pg} is used twice (chain loop or shared chain)`);
    used.add(pg);
    const base = pg * pageSize;
    if (buf[base + 25] !== P_OVERFLOW) throw new RpmDbError(`page ${pg} in an overflow chain has type ${buf[base + 25]}`);
    const len = Math.min(u16(base + 22), pageSize - PAGE_HEADER, totalLength - filled);
    buf.copy(out, filled, base + PAGE_HEADER, base + PAGE_HEADER + len);
    filled += len;
    pg = u32(base + 16);
  }
  if (filled < totalLength) throw new RpmDbError(`overflow chain ended after ${filled} of ${totalLength} bytes`);
  return out;
}

// ---------- NDB ----------

const fourcc = (s: string): number => (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) >>> 0;
const NDB_HEADER_MAGIC = fourcc('RpmP');
const NDB_SLOT_MAGIC = fourcc('Slot');
const NDB_BLOB_MAGIC = fourcc('BlbS');
const NDB_SLOT_PAGE = 4096;
const NDB_BLK = 16;
/** Same cap as rpm's ndb backend sanity check: 2048 slot pages is ~500k packages. */
const NDB_MAX_SLOT_PAGES = 2048;

export function readNdbBlobs(buf: Buffer): Buffer[] {
  if (buf.length < 32) throw new RpmDbError('NDB file too short');
  if (buf.readUInt32LE(0) !== NDB_HEADER_MAGIC) throw new RpmDbError('bad NDB header magic');
  if (buf.readUInt32LE(4) !== 0) throw new RpmDbError(`unsupported NDB version ${buf.readUInt32LE(4)}`);
  const slotPages = buf.readUInt32LE(12);
  if (slotPages === 0 || slotPages > NDB_MAX_SLOT_PAGES) throw new RpmDbError(`bad NDB slot page count ${slotPages}`);
  const slotsEnd = slotPages * NDB_SLOT_PAGE;
  if (slotsEnd > buf.length) throw new RpmDbError(`NDB slot pages (${slotPages}) extend past end of file`);
  const blobs: Buffer[] = [];
  // Blobs never overlap in a sound file, so together they cannot exceed it; slots pointing at the
  // same blob over and over would otherwise multiply memory.
  let budget = buf.length;
  // The header occupies the first two 16-byte slots of page 0.
  for (let o = 32; o + 16 <= slotsEnd; o += 16) {
    if (buf.readUInt32LE(o) !== NDB_SLOT_MAGIC) throw new RpmDbError(`bad NDB slot magic at offset ${o}`);
    const pkgIndex = buf.readUInt32LE(o + 4);
    if (pkgIndex === 0) continue;
    const blkOffset = buf.readUInt32LE(o + 8);
    const start = blkOffset * NDB_BLK;
    if (start + 16 > buf.length) throw new RpmDbError(`package ${pkgIndex}: blob offset beyond end of file`);
    if (buf.readUInt32LE(start) !== NDB_BLOB_MAGIC) throw new RpmDbError(`package ${pkgIndex}: bad blob magic`);
    if (buf.readUInt32LE(start + 4) !== pkgIndex) throw new RpmDbError(`package ${pkgIndex}: blob belongs to package ${buf.readUInt32LE(start + 4)}`);
    const len = buf.readUInt32LE(start + 12);
    if (start + 16 + len > buf.length) throw new RpmDbError(`package ${pkgIndex}: blob length ${len} beyond end of file`);
    budget -= len + 16;
    if (budget < 0) throw new RpmDbError('NDB blobs add up to more than the file: overlapping or repeated slots');
    blobs.push(Buffer.from(buf.subarray(start + 16, start + 16 + len)));
  }
  return blobs;
}
