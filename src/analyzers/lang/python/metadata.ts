/**
 * Python core metadata (PEP 241/314/345/566/639): `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`,
 * `EGG-INFO/PKG-INFO` and single-file `*.egg-info`. An RFC 822 style header block; the body after
 * the first blank line is the long description and is not read.
 */

export interface CoreMetadata {
  name: string;
  version: string;
  licenses: string[];
}

/** Decodes as UTF-8, falling back to Latin-1 for the old distributions that wrote other encodings. */
export function decodeText(content: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    return content.toString('latin1');
  }
}

/**
 * Header block as ordered (name, value) pairs; continuation lines (leading whitespace) are joined
 * with a newline. The block ends at the first blank line or the first line that is not a header.
 */
export function parseHeaders(text: string): [string, string][] {
  const headers: [string, string][] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const line of lines) {
    if (line.trim() === '') break;
    if (/^[ \t]/.test(line)) {
      const last = headers[headers.length - 1];
      if (last) last[1] += '\n' + line.trim();
      continue;
    }
    // Like Python's email parser (which importlib.metadata and pip use): a line that is not
    // `field-name:` (printable characters, no space) ends the header block.
    const m = /^([\x21-\x39\x3b-\x7e]+):/.exec(line);
    if (!m?.[1]) break;
    headers.push([m[1].toLowerCase(), line.slice(m[0].length).trim()]);
  }
  return headers;
}

/**
 * Parses core metadata. Licenses, in order of precedence: `License-Expression` (PEP 639), then
 * the last segment of `License :: … :: X` classifiers (short, curated names, where `License` is
 * often free text), then `License`, then `License-File` as `file://<name>` (as Trivy reports it,
 * so the user knows where to look).
 */
export function parseCoreMetadata(content: Buffer, path: string): CoreMetadata {
  const headers = parseHeaders(decodeText(content));
  const get = (key: string): string | undefined => headers.find(([k]) => k === key)?.[1];
  const all = (key: string): string[] => headers.filter(([k]) => k === key).map(([, v]) => v);
  const name = get('name')?.trim();
  const version = get('version')?.trim();
  if (!name || !version) {
    throw new Error(`${path}: not Python package metadata (missing ${name ? 'Version' : 'Name'} header)`);
  }
  let licenses: string[] = [];
  const expression = get('license-expression')?.trim();
  const license = get('license')?.trim();
  if (expression) licenses = [expression];
  else {
    for (const c of all('classifier')) {
      const parts = c.split('::').map((s) => s.trim());
      // `License :: OSI Approved` alone names no license.
      if (parts[0] === 'License' && parts.length >= 3) {
        const last = parts[parts.length - 1];
        if (last && !licenses.includes(last)) licenses.push(last);
      }
    }
    if (licenses.length === 0 && license) licenses = [license];
    if (licenses.length === 0) {
      const file = all('license-file')[0];
      if (file) licenses = [`file://${file}`];
    }
  }
  return { name, version, licenses };
}
