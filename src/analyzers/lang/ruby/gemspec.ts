/**
 * Installed-gem specifications (`specifications/*.gemspec`, written by RubyGems with
 * `Gem::Specification#to_ruby`). They are Ruby code, never evaluated here: the parser reads the
 * block variable of `Gem::Specification.new do |s|` and the literal assignments
 * `s.name = "x"`, `s.version = "1.0"` (also `.freeze`, `%q<…>` and `Gem::Version.new("…")` forms),
 * `s.license = "MIT"` and `s.licenses = ["MIT", …]`. Anything else is ignored.
 */

export interface GemSpec {
  name: string;
  version: string;
  licenses: string[];
}

const BLOCK_START = /Gem::Specification\.new\s*(?:do|\{)\s*\|\s*([A-Za-z_]\w*)\s*\|/;

/** One Ruby string literal at the start of `s` (after optional spaces): "…", '…', %q<…>, %q{…}, %Q(…), %[…]. */
function readStringLiteral(s: string): { value: string; rest: string } | undefined {
  const t = s.trimStart();
  const q = t[0];
  if (q === '"' || q === "'") {
    let value = '';
    for (let i = 1; i < t.length; i++) {
      const c = t[i];
      if (c === '\\' && i + 1 < t.length) {
        value += t[i + 1];
        i++;
      } else if (c === q) {
        return { value, rest: t.slice(i + 1) };
      } else {
        value += c;
      }
    }
    return undefined;
  }
  const pct = /^%[qQ]?([<({[|!/])/.exec(t);
  if (pct?.[1]) {
    const open = pct[1];
    const close = ({ '<': '>', '(': ')', '{': '}', '[': ']' } as Record<string, string>)[open] ?? open;
    const start = pct[0].length;
    const end = t.indexOf(close, start);
    if (end < 0) return undefined;
    return { value: t.slice(start, end), rest: t.slice(end + 1) };
  }
  return undefined;
}

/** A string value, optionally `.freeze`d or wrapped in `Gem::Version.new(…)`. */
function readStringExpr(s: string): string | undefined {
  let t = s.trim();
  const wrapped = /^Gem::Version\.new\s*\(/.exec(t);
  if (wrapped) t = t.slice(wrapped[0].length);
  const lit = readStringLiteral(t);
  if (!lit) return undefined;
  let rest = lit.rest.trimStart();
  if (rest.startsWith('.freeze')) rest = rest.slice(7).trimStart();
  if (wrapped) {
    if (!rest.startsWith(')')) return undefined;
    rest = rest.slice(1).trimStart();
    if (rest.startsWith('.freeze')) rest = rest.slice(7).trimStart();
  }
  // Anything left must be a comment or a trailing modifier (`if s.respond_to? …`).
  if (rest !== '' && !rest.startsWith('#') && !/^(if|unless)\b/.test(rest)) return undefined;
  return lit.value;
}

/** `["MIT".freeze, "BSD"]` → strings; undefined when not an array literal of strings. */
function readStringArray(s: string): string[] | undefined {
  let t = s.trim();
  if (!t.startsWith('[')) return undefined;
  t = t.slice(1);
  const out: string[] = [];
  for (let guard = 0; guard < 10_000; guard++) {
    t = t.trimStart();
    if (t.startsWith(']')) return out;
    const lit = readStringLiteral(t);
    if (!lit) return undefined;
    out.push(lit.value);
    t = lit.rest.trimStart();
    if (t.startsWith('.freeze')) t = t.slice(7).trimStart();
    if (t.startsWith(',')) t = t.slice(1);
    else if (!t.startsWith(']')) return undefined;
  }
  return undefined;
}

export function parseGemspec(content: Buffer, path: string): GemSpec {
  const text = content.toString('utf8');
  const block = BLOCK_START.exec(text);
  if (!block?.[1]) throw new Error(`${path}: failed to parse gemspec (no "Gem::Specification.new do |var|" block)`);
  const v = block[1];
  let name: string | undefined;
  let version: string | undefined;
  let licenses: string[] = [];
  for (const rawLine of text.slice(block.index + block[0].length).split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line.startsWith(`${v}.`)) continue;
    const m = /^\w+\.(name|version|license|licenses)\s*=(?!=)\s*(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    const value = m[2];
    switch (m[1]) {
      case 'name': name ??= readStringExpr(value); break;
      case 'version': version ??= readStringExpr(value); break;
      case 'license': {
        const l = readStringExpr(value);
        if (l) licenses = [l];
        break;
      }
      case 'licenses': {
        // RubyGems writes an array; a bare string here is not what `to_ruby` produces, so it is not trusted.
        const ls = readStringArray(value.replace(/\s+#.*$/, ''));
        if (ls) licenses = ls.filter((l) => l.trim() !== '');
        break;
      }
    }
  }
  if (!name || !version) {
    throw new Error(`${path}: failed to parse gemspec (no literal ${name ? 'version' : 'name'} assigned to "${v}")`);
  }
  return { name, version, licenses };
}
