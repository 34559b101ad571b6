/**
 * Debian control-file stanzas (deb822 as dpkg writes `var/lib/dpkg/status`): `Field: value`
 * lines, continuation lines starting with a space or tab, stanzas separated by blank lines.
 * Field names are case-insensitive (dpkg compares them that way), so keys are lower-cased.
 */

export interface Stanza {
  /** 1-based line number of the stanza's first line, for warnings. */
  line: number;
  fields: Map<string, string>;
}

export interface StanzaParse {
  stanzas: Stanza[];
  warnings: string[];
}

/** Warnings per file are capped so a garbage file cannot produce megabytes of messages. */
const MAX_WARNINGS = 20;

/**
 * `keep`: lower-case names of the fields to record (others are parsed for structure but not stored;
 * a status file's Description and Conffiles are most of its bytes). Default: all fields.
 */
export function parseStanzas(text: string, fileName: string, keep?: ReadonlySet<string>): StanzaParse {
  const warnings: string[] = [];
  const warn = (msg: string): void => {
    if (warnings.length < MAX_WARNINGS) warnings.push(`${fileName}: ${msg}`);
    else if (warnings.length === MAX_WARNINGS) warnings.push(`${fileName}: further warnings suppressed`);
  };
  if (text.includes('\r')) {
    warn('CRLF line endings (tolerated)');
    text = text.replace(/\r\n?/g, '\n');
  }
  const stanzas: Stanza[] = [];
  let current: Stanza | undefined;
  let lastKey: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.length === 0 || line.trim() === '') {
      current = undefined;
      lastKey = undefined;
      continue;
    }
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      if (current && lastKey !== undefined) {
        if (!keep || keep.has(lastKey)) current.fields.set(lastKey, `${current.fields.get(lastKey) ?? ''}\n${line.slice(1)}`);
      } else {
        warn(`line ${i + 1}: continuation line without a field`);
      }
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      warn(`line ${i + 1}: not a "Field: value" line, ignored`);
      continue;
    }
    const key = line.slice(0, colon).trim().toLowerCase();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(key)) {
      warn(`line ${i + 1}: invalid field name, ignored`);
      lastKey = undefined;
      continue;
    }
    if (!current) {
      current = { line: i + 1, fields: new Map() };
      stanzas.push(current);
    }
    if (!keep || keep.has(key)) current.fields.set(key, line.slice(colon + 1).trim());
    lastKey = key;
  }
  return { stanzas, warnings };
}
