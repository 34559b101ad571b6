/**
 * Java archive inventory (jar, war, ear, par, sar, jpi, hpi; pure): Maven identities from
 * `META-INF/maven/<group>/<artifact>/pom.properties` (one per embedded project, so shaded jars
 * yield one package each), else from MANIFEST.MF, else from the file name (low confidence).
 * Nested archives (WEB-INF/lib, BOOT-INF/lib, jars in ears, wars in ears) are opened recursively
 * up to a depth limit. Only the entries needed are inflated, and every inflation is bounded by
 * the sizes declared in the zip directory, checked before inflating, so zip bombs are refused.
 */
import { InflateBudget, ZipLimitError, readZipDirectory, readZipEntry, type ZipEntry } from '../../../util/zip.ts';

export const JAVA_ARCHIVE_EXTENSIONS = ['.jar', '.war', '.ear', '.par', '.sar', '.jpi', '.hpi'];

export interface JavaArchiveLimits {
  /** Deepest nesting opened (the outer archive is depth 0). */
  maxDepth: number;
  /** Largest declared uncompressed size of a nested archive that is opened. */
  maxNestedSize: number;
  /** Largest pom.properties / MANIFEST.MF read. */
  maxMetadataSize: number;
  /** Total bytes inflated for one outer archive, nested ones included. */
  maxTotalInflated: number;
  /** Compression ratio above which a large entry is treated as a bomb (deflate tops out near 1032:1). */
  maxRatio: number;
}

export const DEFAULT_JAVA_LIMITS: JavaArchiveLimits = {
  maxDepth: 4,
  maxNestedSize: 256 * 1024 * 1024,
  // Signed jars list a digest per entry in MANIFEST.MF, which reaches megabytes.
  maxMetadataSize: 16 * 1024 * 1024,
  maxTotalInflated: 1024 * 1024 * 1024,
  maxRatio: 200,
};

export type IdentitySource = 'pom.properties' | 'manifest' | 'filename';

export interface JavaArtifact {
  groupId: string;
  artifactId: string;
  version: string;
  /** `app.jar!/BOOT-INF/lib/inner.jar`: the archive chain, starting at the outer file's base name. */
  archivePath: string;
  source: IdentitySource;
}

export class JavaArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JavaArchiveError';
  }
}

export function isJavaArchiveName(name: string): boolean {
  const lower = name.toLowerCase();
  return JAVA_ARCHIVE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Java .properties (the subset pom.properties uses: `=`/`:`/space separators, comments, continuations, escapes). */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? '').replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + (lines[++i] ?? '').replace(/^[ \t\f]+/, '');
    }
    let k = 0;
    while (k < line.length && !'=: \t\f'.includes(line[k] as string)) k += line[k] === '\\' ? 2 : 1;
    const key = unescapeProperty(line.slice(0, k));
    let v = k;
    while (v < line.length && ' \t\f'.includes(line[v] as string)) v++;
    if (v < line.length && (line[v] === '=' || line[v] === ':')) v++;
    while (v < line.length && ' \t\f'.includes(line[v] as string)) v++;
    out.set(key, unescapeProperty(line.slice(v)));
  }
  return out;
}

function unescapeProperty(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, e: string) => {
    if (e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    return e === 't' ? '\t' : e === 'n' ? '\n' : e === 'r' ? '\r' : e === 'f' ? '\f' : e;
  });
}

/** The main section of a JAR manifest (continuation lines start with one space). */
export function parseManifest(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      // The main section ends at the first blank line; per-entry sections follow.
      if (out.size > 0) break;
      continue;
    }
    if (line.startsWith(' ') && last !== undefined) {
      out.set(last, (out.get(last) ?? '') + line.slice(1));
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim();
    out.set(last, line.slice(colon + 1).trim());
  }
  return out;
}

/** `commons-lang3-3.12.0.jar` → artifact `commons-lang3`, version `3.12.0`. */
export function parseArchiveFileName(fileName: string): { artifactId: string; version: string } | undefined {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1).replace(/\.[A-Za-z]+$/, '');
  // The version starts at the first `-<digit>` segment (artifact ids rarely contain one).
  const m = /^(.+?)-(\d[0-9A-Za-z._+-]*)$/.exec(base);
  if (!m) return undefined;
  return { artifactId: m[1] as string, version: m[2] as string };
}

const NO_SPACE = /^[^\s]+$/;

/**
 * Identity from MANIFEST.MF, kept deliberately narrow. Measured on 1,019 Maven Central jars
 * (the local ~/.m2 repository, whose layout gives the true coordinates), a group taken from the
 * Bundle-SymbolicName prefix was wrong 59 times in 72 (`org.objectweb` for org.ow2.asm,
 * `com.google` for com.google.protobuf), so only an explicit Implementation-Vendor-Id counts as a
 * group. The artifact id comes from the Maven-style file name when there is one, else from the
 * symbolic name's last segment or a space-free title; the version from Implementation-Version,
 * the file name, then Specification-/Bundle-Version (OSGi versions carry build qualifiers).
 */
export function identityFromManifest(manifest: Map<string, string>, fileName: string): { groupId: string; artifactId: string; version: string } | undefined {
  const get = (k: string): string => (manifest.get(k) ?? '').trim();
  const groupId = get('Implementation-Vendor-Id');
  if (!groupId || !NO_SPACE.test(groupId)) return undefined;
  const fromFile = parseArchiveFileName(fileName);
  const bsn = get('Bundle-SymbolicName').split(';')[0]?.trim() ?? '';
  let artifactId = fromFile?.artifactId ?? '';
  if (!artifactId && bsn.startsWith(`${groupId}.`) && NO_SPACE.test(bsn)) artifactId = bsn.slice(groupId.length + 1);
  if (!artifactId) {
    for (const candidate of [get('Implementation-Title'), get('Specification-Title'), get('Bundle-Name')]) {
      if (candidate && NO_SPACE.test(candidate)) { artifactId = candidate; break; }
    }
  }
  const version = get('Implementation-Version') || fromFile?.version || get('Specification-Version') || get('Bundle-Version');
  if (!artifactId || !version) return undefined;
  return { groupId, artifactId, version };
}

/** Refusals on size grounds abort the whole outer archive, unlike a merely corrupt nested one. */
class ZipBombError extends JavaArchiveError {}

/** Deflate tops out near 1032:1; real jars stay far below the configured ratio. */
function checkRatio(info: ZipEntry, where: string, limits: JavaArchiveLimits): void {
  if (info.size > 1024 * 1024 && info.method !== 0 && info.size > info.compressedSize * limits.maxRatio) {
    throw new ZipBombError(`${where}!/${info.name}: compression ratio ${Math.round(info.size / Math.max(1, info.compressedSize))}:1 looks like a zip bomb`);
  }
}

const POM_PROPERTIES = /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/;

/**
 * Lists the Maven artifacts of a Java archive and everything nested in it. `archiveName` is the
 * outer file's base name (used for the file-name fallback and in `archivePath`). Throws
 * JavaArchiveError for corrupt zips and bombs.
 */
export function scanJavaArchive(input: Uint8Array, archiveName: string, limits: JavaArchiveLimits = DEFAULT_JAVA_LIMITS): { artifacts: JavaArtifact[]; warnings: string[] } {
  const out: JavaArtifact[] = [];
  const warnings: string[] = [];
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  walk(bytes, archiveName, archiveName, 0, limits, new InflateBudget(limits.maxTotalInflated), out, warnings);
  return { artifacts: out, warnings };
}

function walk(bytes: Buffer, fileName: string, archivePath: string, depth: number, limits: JavaArchiveLimits, budget: InflateBudget, out: JavaArtifact[], warnings: string[]): void {
  const entries = new Map<string, Buffer>();
  try {
    const dir = readZipDirectory(bytes);
    for (const entry of dir.entries) {
      const name = entry.name;
      if (name.endsWith('/') || entries.has(name)) continue;
      const metadata = name === 'META-INF/MANIFEST.MF' || POM_PROPERTIES.test(name);
      if (!metadata && !(depth < limits.maxDepth && isJavaArchiveName(name))) continue;
      checkRatio(entry, archivePath, limits);
      // A nested archive's own entries are CRC-checked when it is walked; checking the whole
      // nested archive as well would cost a pass over class files never read (+50% on fat jars).
      entries.set(name, readZipEntry(bytes, entry, metadata ? limits.maxMetadataSize : limits.maxNestedSize, { budget, verifyCrc: metadata }));
    }
  } catch (err) {
    if (err instanceof JavaArchiveError) throw err;
    if (err instanceof ZipLimitError) throw new ZipBombError(`${archivePath}: ${err.message}`);
    throw new JavaArchiveError(`${archivePath}: not a readable zip archive (${err instanceof Error ? err.message : String(err)})`);
  }
  const decoder = new TextDecoder('utf-8');
  const own: JavaArtifact[] = [];
  const fromFile = parseArchiveFileName(fileName);
  let matchesFile = false;
  for (const [name, data] of entries) {
    if (!POM_PROPERTIES.test(name)) continue;
    const props = parseProperties(decoder.decode(data));
    const groupId = props.get('groupId')?.trim() ?? '';
    const artifactId = props.get('artifactId')?.trim() ?? '';
    const version = props.get('version')?.trim() ?? '';
    if (!groupId || !artifactId || !version) continue;
    // Unresolved properties (`${revision}` in CI-friendly builds) are not versions.
    if ([groupId, artifactId, version].some((v) => v.includes('${'))) continue;
    own.push({ groupId, artifactId, version, archivePath, source: 'pom.properties' });
    if (fromFile && fromFile.artifactId === artifactId) matchesFile = true;
  }
  // pom.properties describe the embedded projects (a shaded jar lists the ones it bundles); when
  // none is the archive itself, the manifest or failing that the file name may still identify it.
  if (own.length === 0 || (fromFile && !matchesFile)) {
    const manifestBytes = entries.get('META-INF/MANIFEST.MF');
    const manifest = manifestBytes ? identityFromManifest(parseManifest(decoder.decode(manifestBytes)), fileName) : undefined;
    const known = (artifactId: string): boolean => own.some((a) => a.artifactId === artifactId);
    if (manifest && !known(manifest.artifactId)) own.push({ ...manifest, archivePath, source: 'manifest' });
    else if (!manifest && fromFile && !known(fromFile.artifactId)) own.push({ groupId: '', ...fromFile, archivePath, source: 'filename' });
  }
  const seen = new Set<string>();
  for (const a of own) {
    const key = `${a.groupId}:${a.artifactId}:${a.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(a);
  }
  for (const [name, data] of entries) {
    if (!isJavaArchiveName(name)) continue;
    const nestedPath = `${archivePath}!/${name}`;
    try {
      walk(data, name, nestedPath, depth + 1, limits, budget, out, warnings);
    } catch (err) {
      // A damaged library inside an otherwise readable archive costs only that library.
      if (err instanceof ZipBombError) throw err;
      warnings.push(err instanceof Error ? err.message : String(err));
    }
  }
}
