/**
 * Go RE2 → JavaScript RegExp translation, for rules written for gitleaks and trivy.
 *
 * What differs and how it is bridged:
 * - Inline flags. A leading `(?i)`/`(?s)`/`(?m)` becomes the RegExp flag. JS (before ES2025
 *   modifiers, absent from Node 20) cannot switch case-insensitivity mid-pattern, so a `(?i)` in
 *   the middle (`LTAI(?i)[a-z0-9]{20}`) or a scoped `(?i:...)` case-expands every literal letter in
 *   its scope (`a` → `[aA]`, `[a-f]` → `[a-fA-F]`). A mid-pattern `(?s)` rewrites `.` to `[\s\S]`.
 *   A `(?-i)` inside a `(?i)` pattern turns the native flag off and the whole pattern is
 *   case-expanded except the `(?-i)` scopes.
 * - Named groups `(?P<name>...)` become plain numbered groups; names are returned separately,
 *   so RE2's duplicate names (trivy's "multiple secret groups") stay usable.
 * - `\z` → end of input, `\A` → start of input, `\Q...\E` → escaped literal, `\x{HH}` → `\uHHHH`,
 *   POSIX classes (`[[:alnum:]]`) → explicit ranges.
 * - The result never uses the `u` flag (its stricter escape grammar would reject valid RE2).
 */

export interface TranslatedRegex {
  source: string;
  flags: string;
  /** Capture-group indices per RE2 group name (several when the name repeats). */
  groupNames: Map<string, number[]>;
  groupCount: number;
}

export class Re2TranslationError extends Error {}

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

interface Scope {
  ci: boolean;
  dotAll: boolean;
}

const isLetter = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

function escapeLiteral(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

function escapeInClass(c: string): string {
  return /[\\\]^\-[]/.test(c) ? `\\${c}` : c;
}

/** Translates one RE2 pattern; throws Re2TranslationError on constructs with no JS equivalent. */
export function translateRe2(pattern: string): TranslatedRegex {
  let pos = 0;
  const flags = new Set<string>();
  // Leading flag group applies to the whole pattern: use native flags.
  const lead = /^\(\?([imsU]+)\)/.exec(pattern);
  if (lead?.[1]) {
    for (const f of lead[1]) {
      if (f === 'U') throw new Re2TranslationError('ungreedy flag (?U) is not supported');
      flags.add(f);
    }
    pos = lead[0].length;
  }
  // With `(?-i)` somewhere inside a `(?i)` pattern the native flag cannot be used: case-expand instead.
  const startsCi = flags.has('i');
  if (startsCi && /\(\?[a-zA-Z]*-[a-zA-Z]*i/.test(pattern.slice(pos))) flags.delete('i');
  const globalCi = flags.has('i');
  const groupNames = new Map<string, number[]>();
  let groupCount = 0;
  let out = '';
  const stack: Scope[] = [];
  const initial: Scope = { ci: startsCi, dotAll: flags.has('s') };
  let scope: Scope = initial;

  const literal = (c: string): string => {
    if (scope.ci && !globalCi && isLetter(c)) return `[${c.toLowerCase()}${c.toUpperCase()}]`;
    return escapeLiteral(c);
  };

  while (pos < pattern.length) {
    const c = pattern[pos] as string;
    if (c === '\\') {
      const [text, next] = translateEscape(pattern, pos, false);
      if (text.startsWith('\\Q:')) {
        for (const ch of text.slice(3)) out += literal(ch);
      } else if (text.length === 1) {
        out += literal(text);
      } else {
        out += text;
      }
      pos = next;
      continue;
    }
    if (c === '[') {
      const [text, next] = translateClass(pattern, pos, scope.ci && !globalCi);
      out += text;
      pos = next;
      continue;
    }
    if (c === '(') {
      if (pattern[pos + 1] !== '?') {
        groupCount++;
        stack.push(scope);
        scope = { ...scope };
        out += '(';
        pos++;
        continue;
      }
      const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(pattern.slice(pos, pos + 80));
      if (named?.[1]) {
        groupCount++;
        const list = groupNames.get(named[1]) ?? [];
        list.push(groupCount);
        groupNames.set(named[1], list);
        stack.push(scope);
        scope = { ...scope };
        out += '(';
        pos += named[0].length;
        continue;
      }
      const flagGroup = /^\(\?([imsU]*)(?:-([imsU]*))?(:|\))/.exec(pattern.slice(pos, pos + 20));
      if (!flagGroup) throw new Re2TranslationError(`unsupported group syntax at offset ${pos}`);
      const on = flagGroup[1] ?? '';
      const off = flagGroup[2] ?? '';
      if (on.includes('U') || off.includes('U')) throw new Re2TranslationError('ungreedy flag (?U) is not supported');
      const apply = (s: Scope): Scope => ({
        ci: on.includes('i') ? true : off.includes('i') ? false : s.ci,
        dotAll: on.includes('s') ? true : off.includes('s') ? false : s.dotAll,
      });
      if (flagGroup[3] === ':') {
        stack.push(scope);
        scope = apply(scope);
        out += '(?:';
      } else {
        // `(?i)` mid-pattern: applies to the rest of the enclosing group.
        scope = apply(scope);
      }
      pos += flagGroup[0].length;
      continue;
    }
    if (c === ')') {
      scope = stack.pop() ?? initial;
      out += ')';
      pos++;
      continue;
    }
    if (c === '.') {
      if (scope.dotAll) out += flags.has('s') ? '.' : '[\\s\\S]';
      else out += flags.has('s') ? '[^\\n]' : '.';
      pos++;
      continue;
    }
    if (c === '{') {
      // A quantifier passes through; a brace that is not one is a literal in RE2.
      const q = /^\{\d+(?:,\d*)?\}/.exec(pattern.slice(pos, pos + 24));
      if (q) {
        out += q[0];
        pos += q[0].length;
        continue;
      }
      out += '\\{';
      pos++;
      continue;
    }
    if ('^$|*+?'.includes(c)) {
      out += c;
      pos++;
      continue;
    }
    out += literal(c);
    pos++;
  }
  const jsFlags = [...flags].filter((f) => f === 'i' || f === 'm' || f === 's').join('');
  // Compile once here so a bad pattern is reported at load time, not mid-scan.
  try {
    new RegExp(out, jsFlags);
  } catch (err) {
    throw new Re2TranslationError(`translated pattern does not compile: ${(err as Error).message}`);
  }
  return { source: out, flags: jsFlags, groupNames, groupCount };
}

/** Returns [translation, next offset]. A single char means "literal char"; `\Q:` prefix a literal run. */
function translateEscape(p: string, pos: number, inClass: boolean): [string, number] {
  const n = p[pos + 1];
  if (n === undefined) throw new Re2TranslationError('trailing backslash');
  if (n === 'Q') {
    const end = p.indexOf('\\E', pos + 2);
    const body = end < 0 ? p.slice(pos + 2) : p.slice(pos + 2, end);
    return [`\\Q:${body}`, end < 0 ? p.length : end + 2];
  }
  if (n === 'z' && !inClass) return ['(?![\\s\\S])', pos + 2];
  if (n === 'A' && !inClass) return ['(?<![\\s\\S])', pos + 2];
  if (n === 'x') {
    if (p[pos + 2] === '{') {
      const end = p.indexOf('}', pos + 3);
      if (end < 0) throw new Re2TranslationError('unterminated \\x{');
      const hex = p.slice(pos + 3, end);
      if (!/^[0-9A-Fa-f]{1,4}$/.test(hex)) throw new Re2TranslationError(`unsupported \\x{${hex}}`);
      return [`\\u${hex.padStart(4, '0')}`, end + 1];
    }
    const hex = p.slice(pos + 2, pos + 4);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Re2TranslationError('bad \\x escape');
    return [`\\x${hex}`, pos + 4];
  }
  if (n === 'p' || n === 'P') throw new Re2TranslationError('unicode classes (\\p) are not supported');
  if ('dDwWsSbBfnrtv'.includes(n)) {
    if (inClass && (n === 'b' || n === 'B')) throw new Re2TranslationError('\\b in a character class');
    return [`\\${n}`, pos + 2];
  }
  if (/[0-9]/.test(n)) {
    if (n === '0') return ['\\x00', pos + 2];
    throw new Re2TranslationError('backreferences are not RE2');
  }
  if (/[A-Za-z]/.test(n)) throw new Re2TranslationError(`unsupported escape \\${n}`);
  return [n, pos + 2];
}

/** Translates a character class starting at `pos` ('['); returns [class text, next offset]. */
function translateClass(p: string, pos: number, caseExpand: boolean): [string, number] {
  let i = pos + 1;
  let negate = false;
  if (p[i] === '^') {
    negate = true;
    i++;
  }
  const items: string[] = [];
  const ranges: Array<[number, number]> = [];
  let first = true;
  for (;;) {
    if (i >= p.length) throw new Re2TranslationError('unterminated character class');
    const c = p[i] as string;
    if (c === ']' && !first) {
      i++;
      break;
    }
    first = false;
    if (c === '[' && p[i + 1] === ':') {
      const end = p.indexOf(':]', i + 2);
      const name = end < 0 ? '' : p.slice(i + 2, end);
      const negated = name.startsWith('^');
      const cls = POSIX_CLASSES[negated ? name.slice(1) : name];
      if (!cls || negated) throw new Re2TranslationError(`unsupported POSIX class [:${name}:]`);
      items.push(cls);
      i = end + 2;
      continue;
    }
    let lo: string;
    let loText: string;
    if (c === '\\') {
      const [t, next] = translateEscape(p, i, true);
      i = next;
      if (t.startsWith('\\Q:')) {
        for (const ch of t.slice(3)) {
          items.push(escapeInClass(ch));
          ranges.push([ch.charCodeAt(0), ch.charCodeAt(0)]);
        }
        continue;
      }
      if (t.length !== 1) {
        if (/^\\[xu]/.test(t)) {
          const code = parseInt(t.slice(2), 16);
          lo = String.fromCharCode(code);
          loText = t;
        } else {
          items.push(t);
          continue;
        }
      } else {
        lo = t;
        loText = escapeInClass(t);
      }
    } else {
      lo = c;
      loText = escapeInClass(c);
      i++;
    }
    if (p[i] === '-' && p[i + 1] !== ']' && i + 1 < p.length) {
      let hi: string;
      let hiText: string;
      if (p[i + 1] === '\\') {
        const [t, next] = translateEscape(p, i + 1, true);
        if (t.length === 1) {
          hi = t;
          hiText = escapeInClass(t);
        } else if (/^\\[xu]/.test(t)) {
          hi = String.fromCharCode(parseInt(t.slice(2), 16));
          hiText = t;
        } else throw new Re2TranslationError('bad range end in character class');
        i = next;
      } else {
        hi = p[i + 1] as string;
        hiText = escapeInClass(hi);
        i += 2;
      }
      if (hi.charCodeAt(0) < lo.charCodeAt(0)) throw new Re2TranslationError('reversed range in character class');
      items.push(`${loText}-${hiText}`);
      ranges.push([lo.charCodeAt(0), hi.charCodeAt(0)]);
    } else {
      items.push(loText);
      ranges.push([lo.charCodeAt(0), lo.charCodeAt(0)]);
    }
  }
  if (caseExpand) {
    for (const [lo, hi] of ranges) {
      addCaseRange(items, lo, hi, 97, 122, -32);
      addCaseRange(items, lo, hi, 65, 90, 32);
    }
  }
  if (items.length === 0) return [negate ? '[\\s\\S]' : '[^\\s\\S]', i];
  return [`[${negate ? '^' : ''}${items.join('')}]`, i];
}

function addCaseRange(items: string[], lo: number, hi: number, from: number, to: number, shift: number): void {
  const a = Math.max(lo, from);
  const b = Math.min(hi, to);
  if (a > b) return;
  const s = String.fromCharCode(a + shift);
  const e = String.fromCharCode(b + shift);
  items.push(a === b ? s : `${s}-${e}`);
}

/** Compiles a RE2 pattern into a JS RegExp (extra flags such as `g` appended). */
export function compileRe2(pattern: string, extraFlags = ''): { regex: RegExp; groupNames: Map<string, number[]>; groupCount: number } {
  const t = translateRe2(pattern);
  return { regex: new RegExp(t.source, t.flags + extraFlags), groupNames: t.groupNames, groupCount: t.groupCount };
}
