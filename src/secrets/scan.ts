/**
 * The scanner: content in, redacted findings out. Pure (no I/O), shared by the layer analyzer,
 * the image-config scan and the tests.
 */
import type { SecretFinding } from '../model/report.ts';
import { createPrefilter, type Prefilter } from './prefilter.ts';
import type { AllowList, SecretRules } from './types.ts';

/** Regexes never see a line longer than this at once (bounds backtracking on minified files). */
export const MAX_LINE_FOR_REGEX = 64 * 1024;
/** Files up to this size with no over-long line are matched in one piece (multi-line rules see everything). */
const WHOLE_FILE_LIMIT = 1024 * 1024;
const SEGMENT_SIZE = 256 * 1024;
/** Overlap between segments so a multi-line secret (a PEM key) at a boundary is still seen whole. */
const SEGMENT_OVERLAP = 8 * 1024;

interface Compiled {
  prefilter: Prefilter;
  /** Per rule, indices into the keyword list. */
  ruleKeywords: number[][];
}

const compiledCache = new WeakMap<SecretRules, Compiled>();

function compile(rules: SecretRules): Compiled {
  let c = compiledCache.get(rules);
  if (c) return c;
  const keywords: string[] = [];
  const index = new Map<string, number>();
  const ruleKeywords = rules.rules.map((r) =>
    r.keywords.map((k) => {
      let i = index.get(k);
      if (i === undefined) {
        i = keywords.length;
        keywords.push(k);
        index.set(k, i);
      }
      return i;
    }),
  );
  c = { prefilter: createPrefilter(keywords), ruleKeywords };
  compiledCache.set(rules, c);
  return c;
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * Redaction: at most 4 leading characters (fewer for short secrets, so at least three quarters
 * stay hidden) followed by `*****`. The secret's length is not revealed.
 */
export function redactSecret(secret: string): string {
  const keep = Math.min(4, Math.floor(secret.trim().length / 4));
  return `${secret.trim().slice(0, keep)}*****`;
}

function test(re: RegExp, s: string): boolean {
  re.lastIndex = 0;
  return re.test(s);
}

/** True when the path alone allows the whole file under this list (no content criteria, or OR). */
function pathAllows(list: AllowList, path: string): boolean {
  if (list.paths.length === 0) return false;
  const contentCriteria = list.regexes.length > 0 || list.stopwords.length > 0;
  if (contentCriteria && list.condition === 'and') return false;
  return list.paths.some((p) => test(p, path));
}

interface Candidate {
  secret: string;
  match: string;
  line: () => string;
  path: string;
}

function allows(list: AllowList, c: Candidate): boolean {
  const checks: boolean[] = [];
  if (list.paths.length > 0) checks.push(list.paths.some((p) => test(p, c.path)));
  if (list.regexes.length > 0) {
    const target = list.regexTarget === 'match' ? c.match : list.regexTarget === 'line' ? c.line() : c.secret;
    checks.push(list.regexes.some((r) => test(r, target)));
  }
  if (list.stopwords.length > 0) {
    const lower = c.secret.toLowerCase();
    checks.push(list.stopwords.some((w) => lower.includes(w)));
  }
  if (checks.length === 0) return false;
  return list.condition === 'and' ? checks.every(Boolean) : checks.some(Boolean);
}

/** Pieces of `text` the regexes run on: [start, end) offsets. */
function segments(text: string): Array<[number, number]> {
  let longLine = false;
  for (let start = 0; start < text.length; ) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    if (end - start > MAX_LINE_FOR_REGEX) {
      longLine = true;
      break;
    }
    start = end + 1;
  }
  if (!longLine && text.length <= WHOLE_FILE_LIMIT) return [[0, text.length]];
  const out: Array<[number, number]> = [];
  const size = longLine ? MAX_LINE_FOR_REGEX : SEGMENT_SIZE;
  const overlap = longLine ? 1024 : SEGMENT_OVERLAP;
  let start = 0;
  for (;;) {
    let end = Math.min(text.length, start + size);
    if (end < text.length) {
      const nl = text.lastIndexOf('\n', end);
      if (nl > start + size / 2) end = nl + 1;
    }
    out.push([start, end]);
    if (end >= text.length) break;
    start = Math.max(start + 1, end - overlap);
  }
  return out;
}

function lineIndex(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/**
 * Scans one file's content (a Buffer is read as Latin-1, so offsets are byte offsets and invalid
 * UTF-8 cannot break matching). Findings carry rule, path, line and the redacted secret; the
 * caller adds the layer. Deduplicated per (rule, line).
 */
export function scanText(content: string | Buffer, path: string, rules: SecretRules): SecretFinding[] {
  if (rules.allow.some((l) => pathAllows(l, path))) return [];
  const compiled = compile(rules);
  const present = compiled.prefilter.find(content);
  // Decoding costs a copy; most files reach no regex, so decode only on the first that runs.
  let decoded: string | undefined = typeof content === 'string' ? content : undefined;
  const textOf = (): string => (decoded ??= (content as Buffer).toString('latin1'));
  const findings: SecretFinding[] = [];
  /** Rule index per finding (parallel to `findings`). */
  const findingRule: number[] = [];
  const seen = new Set<string>();
  let starts: number[] | undefined;
  let pieces: Array<[number, number]> | undefined;
  let globalBlocks: Array<[number, number]> | undefined;

  const blocksOf = (res: RegExp[]): Array<[number, number]> => {
    const out: Array<[number, number]> = [];
    for (const re of res) {
      const g = re.global ? re : new RegExp(re.source, `${re.flags}g`);
      const text = textOf();
      g.lastIndex = 0;
      for (let m = g.exec(text); m; m = g.exec(text)) {
        if (m[0].length === 0) {
          g.lastIndex++;
          continue;
        }
        out.push([m.index, m.index + m[0].length]);
      }
    }
    return out;
  };

  rules.rules.forEach((rule, ri) => {
    if (rule.path && !test(rule.path, path)) return;
    if (rule.allow.some((l) => pathAllows(l, path))) return;
    const kws = compiled.ruleKeywords[ri] as number[];
    if (kws.length > 0 && !kws.some((k) => present.has(k))) return;
    const emit = (line: number | undefined, secret: string): void => {
      const key = `${rule.id}\u0000${line ?? 0}`;
      if (seen.has(key)) return;
      seen.add(key);
      findingRule.push(ri);
      findings.push({
        rule_id: rule.id,
        category: rule.category,
        severity: rule.severity,
        title: rule.title,
        path,
        ...(line !== undefined ? { line } : {}),
        match: redactSecret(secret),
      });
    };
    if (!rule.regex) {
      // Path-only rule (gitleaks: the file's presence is the finding, e.g. a keystore).
      emit(undefined, '');
      return;
    }
    const text = textOf();
    pieces ??= segments(text);
    const ruleBlocks = rule.excludeBlocks.length > 0 ? blocksOf(rule.excludeBlocks) : [];
    globalBlocks ??= rules.excludeBlocks.length > 0 ? blocksOf(rules.excludeBlocks) : [];
    const re = rule.regex;
    for (const [segStart, segEnd] of pieces) {
      const piece = segStart === 0 && segEnd === text.length ? text : text.slice(segStart, segEnd);
      re.lastIndex = 0;
      for (let m = re.exec(piece); m; m = re.exec(piece)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        const secrets: string[] = [];
        if (rule.secretGroups.length > 0) {
          for (const g of rule.secretGroups) {
            const v = m[g];
            if (v !== undefined && v !== '') secrets.push(v);
          }
        } else if (rule.firstGroupFallback && m.length > 1) {
          const first = m.slice(1).find((v) => v !== undefined && v !== '');
          secrets.push(first ?? m[0]);
        } else {
          secrets.push(m[0]);
        }
        let matchText = m[0];
        const matchStart = segStart + m.index;
        if (rule.contextPrefix) {
          let from = matchStart;
          while (from > 0 && matchStart - from < rule.contextPrefix && /[\w.-]/.test(text[from - 1] as string)) from--;
          if (from < matchStart) matchText = text.slice(from, matchStart) + matchText;
        }
        for (const secret of secrets) {
          const rel = matchText.indexOf(secret);
          const offset = matchStart + (rel < 0 ? 0 : rel);
          if (rule.entropy !== undefined && shannonEntropy(secret) <= rule.entropy) continue;
          if (rule.requireDigit && !/[0-9]/.test(secret)) continue;
          if (ruleBlocks.some(([a, b]) => offset >= a && offset < b)) continue;
          if ((globalBlocks as Array<[number, number]>).some(([a, b]) => offset >= a && offset < b)) continue;
          starts ??= lineIndex(text);
          const lineNo = lineOf(starts, offset);
          const lineStarts = starts;
          const candidate: Candidate = {
            secret,
            match: matchText,
            path,
            line: () => {
              const a = lineStarts[lineNo - 1] as number;
              const b = lineStarts[lineNo] ?? text.length + 1;
              return text.slice(a, b - 1);
            },
          };
          if (rule.allow.some((l) => allows(l, candidate))) continue;
          if (rules.allow.some((l) => allows(l, candidate))) continue;
          emit(lineNo, secret);
        }
      }
    }
  });
  const specificLines = new Set(findings.filter((f, i) => !rules.rules[findingRule[i] as number]?.yieldsToSpecific).map((f) => f.line ?? 0));
  return findings.filter((f, i) => !rules.rules[findingRule[i] as number]?.yieldsToSpecific || !specificLines.has(f.line ?? 0));
}
