/**
 * Small helpers shared by the version schemes: arbitrary-length digit comparison (ecosystems such
 * as rpm, dpkg and Maven compare digit runs of any length without overflow) and a bounded parse cache.
 */

/** Sign of a number as -1, 0 or 1, so schemes return stable values. */
export function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/**
 * Compares two strings of ASCII digits as non-negative integers of any length:
 * `compareDigits('0010', '9')` → 1, `compareDigits('007', '7')` → 0.
 */
export function compareDigits(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && a.charCodeAt(i) === 48) i++;
  while (j < b.length && b.charCodeAt(j) === 48) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la < lb ? -1 : 1;
  for (; i < a.length; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Plain code-unit comparison (C `strcmp` on ASCII input, Java/JS string order). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Byte-wise comparison of the UTF-8 encodings (C `strcmp`, Ruby `String#<=>`). */
export function compareUtf8(a: string, b: string): number {
  if (isAscii(a) && isAscii(b)) return compareStrings(a, b);
  return sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

const NON_ASCII = /[^\x00-\x7f]/;
export function isAscii(s: string): boolean {
  return !NON_ASCII.test(s);
}

/** Strings of ASCII digits only (`/^[0-9]+$/`), without building a RegExp match. */
export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Bounded memo of parse results keyed by the version string. Matching compares the same few
 * thousand versions over and over, so parsing once pays; the bound keeps hostile input from growing
 * memory. Two generations give LRU-like behaviour in O(1): entries live in `young`; when it is full
 * it becomes `old` (the previous `old` is dropped) and a hit in `old` is promoted back. Invalid
 * versions are cached too (as the error).
 */
export class ParseCache<T> {
  private young = new Map<string, T | Error>();
  private old = new Map<string, T | Error>();
  private readonly generationSize: number;
  constructor(maxEntries = 20_000) {
    this.generationSize = Math.max(1, Math.floor(maxEntries / 2));
  }

  get(version: string, parse: (v: string) => T): T {
    let hit = this.young.get(version);
    if (hit === undefined) {
      hit = this.old.get(version);
      if (hit === undefined) {
        try {
          hit = parse(version);
        } catch (err) {
          if (!(err instanceof Error)) throw err;
          hit = err;
        }
      }
      this.remember(version, hit);
    }
    if (hit instanceof Error) throw hit;
    return hit;
  }

  private remember(version: string, value: T | Error): void {
    if (this.young.size >= this.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(version, value);
  }
}
