/**
 * Keyword prefilter: one pass over the bytes of a file finds which rule keywords occur
 * (case-insensitively), so each rule's regex runs only on files that can match it.
 *
 * Two implementations with the same contract; bench/secrets.bench.ts measures both on this
 * machine and `createPrefilter` uses the faster (Aho-Corasick, see docs/benchmarks/secrets.md).
 */

export interface Prefilter {
  /** Indices (into the keyword list given at construction) of the keywords present. */
  find(content: Buffer | string): Set<number>;
}

/** Aho-Corasick automaton over ASCII-lower-cased bytes, dense transition table. */
export class AhoCorasickPrefilter implements Prefilter {
  private readonly delta: Int32Array;
  /** Per state, keyword indices ending here (own + via failure links). */
  private readonly outputs: (number[] | undefined)[];
  /** 1 where `outputs` is non-empty: a typed-array test keeps the hot loop monomorphic. */
  private readonly accepting: Uint8Array;

  constructor(keywords: readonly string[]) {
    const gotoRows: Map<number, number>[] = [new Map()];
    const out: number[][] = [[]];
    keywords.forEach((kw, idx) => {
      const bytes = Buffer.from(kw.toLowerCase(), 'latin1');
      if (bytes.length === 0) return;
      let s = 0;
      for (const b of bytes) {
        const row = gotoRows[s] as Map<number, number>;
        let next = row.get(b);
        if (next === undefined) {
          next = gotoRows.length;
          gotoRows.push(new Map());
          out.push([]);
          row.set(b, next);
        }
        s = next;
      }
      (out[s] as number[]).push(idx);
    });
    const n = gotoRows.length;
    const delta = new Int32Array(n * 256);
    const fail = new Int32Array(n);
    const queue: number[] = [];
    for (let b = 0; b < 256; b++) {
      const t = (gotoRows[0] as Map<number, number>).get(b);
      delta[b] = t ?? 0;
      if (t !== undefined) queue.push(t);
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi] as number;
      const f = fail[s] as number;
      (out[s] as number[]).push(...(out[f] as number[]));
      for (let b = 0; b < 256; b++) {
        const t = (gotoRows[s] as Map<number, number>).get(b);
        if (t !== undefined) {
          fail[t] = delta[f * 256 + b] as number;
          delta[s * 256 + b] = t;
          queue.push(t);
        } else {
          delta[s * 256 + b] = delta[f * 256 + b] as number;
        }
      }
    }
    // Fold ASCII case into the table so the scan loop needs no per-byte lower-casing.
    for (let s = 0; s < n; s++) {
      for (let b = 65; b <= 90; b++) delta[s * 256 + b] = delta[s * 256 + b + 32] as number;
    }
    this.delta = delta;
    this.outputs = out.map((o) => (o.length > 0 ? [...new Set(o)] : undefined));
    this.accepting = Uint8Array.from(out, (o) => (o.length > 0 ? 1 : 0));
  }

  find(content: Buffer | string): Set<number> {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'latin1') : content;
    const found = new Set<number>();
    const delta = this.delta;
    const outputs = this.outputs;
    const accepting = this.accepting;
    let s = 0;
    for (let i = 0; i < bytes.length; i++) {
      s = delta[(s << 8) | (bytes[i] as number)] as number;
      if (accepting[s] === 1) for (const k of outputs[s] as number[]) found.add(k);
    }
    return found;
  }
}

/** One alternation of escaped keywords; V8's irregexp does the scanning. */
export class CombinedRegexPrefilter implements Prefilter {
  private readonly regex: RegExp;
  private readonly index = new Map<string, number[]>();

  constructor(keywords: readonly string[]) {
    keywords.forEach((kw, i) => {
      const k = kw.toLowerCase();
      if (k.length === 0) return;
      const list = this.index.get(k) ?? [];
      list.push(i);
      this.index.set(k, list);
    });
    // Longest first so a keyword that is a prefix of another does not hide it at the same offset.
    const alts = [...this.index.keys()].sort((a, b) => b.length - a.length).map((k) => k.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'));
    this.regex = new RegExp(alts.length > 0 ? alts.join('|') : '(?!)', 'gi');
  }

  find(content: Buffer | string): Set<number> {
    const text = typeof content === 'string' ? content : content.toString('latin1');
    const found = new Set<number>();
    this.regex.lastIndex = 0;
    // Overlapping keywords (`key` inside `apikey`) need a restart one char after each hit.
    for (let m = this.regex.exec(text); m; m = this.regex.exec(text)) {
      for (const k of this.index.get(m[0].toLowerCase()) ?? []) found.add(k);
      this.regex.lastIndex = m.index + 1;
    }
    return found;
  }
}

export function createPrefilter(keywords: readonly string[]): Prefilter {
  return new AhoCorasickPrefilter(keywords);
}
