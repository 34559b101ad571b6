/**
 * MSBuild project files: `<PackageReference>` in `*.csproj`/`*.fsproj`/`*.vbproj` and
 * `<PackageVersion>` in central package management files (`Directory.Packages.props`).
 * Only literal exact versions count: ranges (`[1.0,2.0)`), floating versions (`1.*`) and
 * MSBuild properties (`$(Version)`) do not name one version.
 */
import type { DotnetPackage } from './deps-json.ts';

const ELEMENT_START_SOURCE = /<(PackageReference|PackageVersion)\b/g;
const ATTRIBUTE = /([A-Za-z]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

function decodeEntities(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos);/g, (_m, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e] ?? '');
}

/** Linear-time comment removal (a regex would go quadratic on many unterminated `<!--`). */
function stripComments(text: string): string {
  let out = '';
  let from = 0;
  for (;;) {
    const open = text.indexOf('<!--', from);
    if (open < 0) return out + text.slice(from);
    out += text.slice(from, open);
    const close = text.indexOf('-->', open + 4);
    if (close < 0) return out;
    from = close + 3;
  }
}

export function isExactNuGetVersion(v: string): boolean {
  return /^\[?\d+(\.\d+){0,3}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?\]?$/.test(v) && (v.startsWith('[') === v.endsWith(']'));
}

export function parseMsbuildPackages(content: Buffer): DotnetPackage[] {
  const text = stripComments(content.toString('utf8'));
  const out: DotnetPackage[] = [];
  const seen = new Set<string>();
  const ELEMENT_START = new RegExp(ELEMENT_START_SOURCE);
  for (let m = ELEMENT_START.exec(text); m !== null; m = ELEMENT_START.exec(text)) {
    // Scanning for the tag end by hand keeps this linear: once no `>` is left, nothing more can match.
    const tagEnd = text.indexOf('>', m.index);
    if (tagEnd < 0) break;
    const element = m[1] ?? '';
    const selfClosing = text[tagEnd - 1] === '/';
    const attrText = text.slice(m.index + m[0].length, selfClosing ? tagEnd - 1 : tagEnd);
    ELEMENT_START.lastIndex = tagEnd + 1;
    const attrs = new Map<string, string>();
    for (const a of attrText.matchAll(ATTRIBUTE)) attrs.set((a[1] ?? '').toLowerCase(), decodeEntities(a[2] ?? a[3] ?? ''));
    let version = attrs.get('version');
    if (version === undefined && !selfClosing) {
      // <PackageReference Include="x"><Version>1.0</Version></PackageReference>
      const rest = text.slice(tagEnd + 1, tagEnd + 1 + 2000);
      const close = rest.indexOf(`</${element}`);
      const inner = close >= 0 ? rest.slice(0, close) : '';
      version = /<Version>\s*([^<]*?)\s*<\/Version>/.exec(inner)?.[1];
    }
    const name = (attrs.get('include') ?? attrs.get('update'))?.trim();
    version = version?.trim();
    if (!name || !version || !isExactNuGetVersion(version)) continue;
    version = version.replace(/^\[|\]$/g, '');
    const id = `${name}/${version}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ name, version });
  }
  return out;
}
