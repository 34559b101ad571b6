/**
 * rpm header blobs as the rpmdb stores them (no lead, no header magic): big-endian
 * `il` (index entry count), `dl` (data store length), `il` × 16-byte entries
 * {tag, type, offset, count}, then `dl` bytes of data. Offsets are relative to the data store.
 * Every length is checked against the blob before use, so a corrupt count cannot allocate or loop.
 */

export const RPM_TAG = {
  NAME: 1000, VERSION: 1001, RELEASE: 1002, EPOCH: 1003, SUMMARY: 1004, SIZE: 1009, VENDOR: 1011,
  LICENSE: 1014, ARCH: 1022, OLDFILENAMES: 1027, SOURCERPM: 1044, DIRINDEXES: 1116, BASENAMES: 1117,
  DIRNAMES: 1118, LONGSIZE: 5009, MODULARITYLABEL: 5096,
} as const;

const TYPE = { NULL: 0, CHAR: 1, INT8: 2, INT16: 3, INT32: 4, INT64: 5, STRING: 6, BIN: 7, STRING_ARRAY: 8, I18NSTRING: 9 } as const;

/** rpm's own sanity limits (lib/header_internal.h hdrchkTags / hdrchkData). */
const MAX_TAGS = 0x00ffffff;
const MAX_DATA = 0x0fffffff;

export class RpmHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RpmHeaderError';
  }
}

interface Entry { type: number; offset: number; count: number }

export interface RpmHeader {
  get(tag: number): Entry | undefined;
  string(tag: number): string | undefined;
  strings(tag: number): string[] | undefined;
  int(tag: number): number | undefined;
  ints(tag: number): number[] | undefined;
}

export function parseRpmHeader(blob: Uint8Array): RpmHeader {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (buf.length < 8) throw new RpmHeaderError(`header blob too short (${buf.length} bytes)`);
  const il = buf.readUInt32BE(0);
  const dl = buf.readUInt32BE(4);
  if (il === 0 || il > MAX_TAGS) throw new RpmHeaderError(`bad header tag count ${il}`);
  if (dl > MAX_DATA) throw new RpmHeaderError(`bad header data length ${dl}`);
  const dataStart = 8 + il * 16;
  if (dataStart + dl > buf.length) throw new RpmHeaderError(`header claims ${il} tags and ${dl} data bytes but blob has ${buf.length} bytes`);
  const data = buf.subarray(dataStart, dataStart + dl);
  const entries = new Map<number, Entry>();
  for (let i = 0; i < il; i++) {
    const o = 8 + i * 16;
    const tag = buf.readUInt32BE(o);
    const type = buf.readUInt32BE(o + 4);
    const offset = buf.readUInt32BE(o + 8);
    const count = buf.readUInt32BE(o + 12);
    if (offset > dl) throw new RpmHeaderError(`tag ${tag}: data offset ${offset} beyond data store (${dl})`);
    // Later entries (the "dribble" after the immutable region) override earlier ones, as in rpm.
    entries.set(tag, { type, offset, count });
  }

  const cstring = (start: number): [string, number] => {
    const end = data.indexOf(0, start);
    if (end < 0) throw new RpmHeaderError(`unterminated string at data offset ${start}`);
    return [data.toString('utf8', start, end), end + 1];
  };

  return {
    get: (tag) => entries.get(tag),
    string(tag) {
      const e = entries.get(tag);
      if (!e) return undefined;
      if (e.type === TYPE.STRING || e.type === TYPE.I18NSTRING || e.type === TYPE.STRING_ARRAY) {
        if (e.count === 0) return undefined;
        return cstring(e.offset)[0];
      }
      throw new RpmHeaderError(`tag ${tag}: expected a string, found type ${e.type}`);
    },
    strings(tag) {
      const e = entries.get(tag);
      if (!e) return undefined;
      if (e.type !== TYPE.STRING_ARRAY && e.type !== TYPE.STRING && e.type !== TYPE.I18NSTRING) {
        throw new RpmHeaderError(`tag ${tag}: expected a string array, found type ${e.type}`);
      }
      // Each string takes at least one byte, so a count beyond the data left is corrupt.
      if (e.count > dl - e.offset) throw new RpmHeaderError(`tag ${tag}: ${e.count} strings cannot fit`);
      const out: string[] = [];
      let pos = e.offset;
      for (let i = 0; i < e.count; i++) {
        const [s, next] = cstring(pos);
        out.push(s);
        pos = next;
      }
      return out;
    },
    int(tag) {
      const v = this.ints(tag);
      return v?.[0];
    },
    ints(tag) {
      const e = entries.get(tag);
      if (!e) return undefined;
      const width = e.type === TYPE.INT32 ? 4 : e.type === TYPE.INT16 ? 2 : e.type === TYPE.INT8 || e.type === TYPE.CHAR ? 1 : e.type === TYPE.INT64 ? 8 : 0;
      if (width === 0) throw new RpmHeaderError(`tag ${tag}: expected an integer, found type ${e.type}`);
      if (e.count > (dl - e.offset) / width) throw new RpmHeaderError(`tag ${tag}: ${e.count} integers overrun the data store`);
      const out: number[] = [];
      for (let i = 0; i < e.count; i++) {
        const p = e.offset + i * width;
        out.push(width === 4 ? data.readUInt32BE(p) : width === 2 ? data.readUInt16BE(p) : width === 1 ? data.readUInt8(p) : Number(data.readBigUInt64BE(p)));
      }
      return out;
    },
  };
}

export interface RpmPackageRecord {
  name: string;
  epoch?: number;
  version: string;
  release: string;
  arch: string;
  sourceRpm: string;
  license: string;
  vendor: string;
  size?: number;
  modularityLabel: string;
  files: string[];
}

/** Reads the fields the inventory needs from one package header. */
export function rpmPackageFromHeader(blob: Uint8Array): RpmPackageRecord {
  const h = parseRpmHeader(blob);
  const name = h.string(RPM_TAG.NAME);
  if (!name) throw new RpmHeaderError('header has no NAME');
  const rec: RpmPackageRecord = {
    name,
    version: h.string(RPM_TAG.VERSION) ?? '',
    release: h.string(RPM_TAG.RELEASE) ?? '',
    arch: h.string(RPM_TAG.ARCH) ?? '',
    sourceRpm: h.string(RPM_TAG.SOURCERPM) ?? '',
    license: h.string(RPM_TAG.LICENSE) ?? '',
    vendor: h.string(RPM_TAG.VENDOR) ?? '',
    modularityLabel: h.string(RPM_TAG.MODULARITYLABEL) ?? '',
    files: [],
  };
  const epoch = h.int(RPM_TAG.EPOCH);
  if (epoch !== undefined) rec.epoch = epoch;
  const size = h.int(RPM_TAG.LONGSIZE) ?? h.int(RPM_TAG.SIZE);
  if (size !== undefined) rec.size = size;
  const basenames = h.strings(RPM_TAG.BASENAMES);
  if (basenames) {
    const dirnames = h.strings(RPM_TAG.DIRNAMES) ?? [];
    const dirindexes = h.ints(RPM_TAG.DIRINDEXES) ?? [];
    if (dirindexes.length !== basenames.length) throw new RpmHeaderError(`${name}: ${basenames.length} basenames but ${dirindexes.length} dir indexes`);
    for (let i = 0; i < basenames.length; i++) {
      const dir = dirnames[dirindexes[i] ?? -1];
      if (dir === undefined) throw new RpmHeaderError(`${name}: dir index ${dirindexes[i]} out of range`);
      rec.files.push(stripRoot(dir + (basenames[i] ?? '')));
    }
  } else {
    for (const f of h.strings(RPM_TAG.OLDFILENAMES) ?? []) rec.files.push(stripRoot(f));
  }
  return rec;
}

function stripRoot(p: string): string {
  return p.replace(/^\/+/, '');
}

/**
 * `openssl-3.0.7-24.el9.src.rpm` → {name: openssl, version: 3.0.7, release: 24.el9}.
 * Name may contain dashes; version and release may not (rpm forbids `-` in both).
 */
export function parseSourceRpm(sourceRpm: string): { name: string; version: string; release: string } | undefined {
  const base = sourceRpm.replace(/\.(no)?src\.rpm$/, '');
  const rel = base.lastIndexOf('-');
  if (rel <= 0) return undefined;
  const ver = base.lastIndexOf('-', rel - 1);
  if (ver <= 0) return undefined;
  const name = base.slice(0, ver);
  const version = base.slice(ver + 1, rel);
  const release = base.slice(rel + 1);
  if (!name || !version || !release) return undefined;
  return { name, version, release };
}
