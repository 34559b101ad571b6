/**
 * Which Maven coordinates a Java archive carries, from its metadata (pure, no zip reading):
 * `META-INF/maven/<group>/<artifact>/pom.properties` (one per embedded project), MANIFEST.MF, and
 * the file name. The file name also decides which of several embedded projects is the archive
 * itself (shaded and fat jars carry their dependencies' pom.properties), and the manifest and
 * file-name guesses are made only when none is.
 */
export type IdentitySource = 'pom.properties' | 'manifest' | 'filename';

export interface JavaArtifact {
  groupId: string;
  artifactId: string;
  version: string;
  /** `app.jar!/BOOT-INF/lib/inner.jar`: the archive chain, starting at the outer file's base name. */
  archivePath: string;
  source: IdentitySource;
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

export const JAVA_ARCHIVE_EXTENSIONS = ['.jar', '.war', '.ear', '.par', '.sar', '.jpi', '.hpi'];
const ARCHIVE_EXTENSION = new RegExp(`(?:${JAVA_ARCHIVE_EXTENSIONS.map((e) => e.replace('.', '\\.')).join('|')})$`, 'i');

export function isJavaArchiveName(name: string): boolean {
  return ARCHIVE_EXTENSION.test(name);
}

const FILE_NAME_VERSION = /^\d[0-9A-Za-z._+-]*$/;
/** A trailing `-<n>` build number (`zstd-jni-1.5.5-11`, `jcip-annotations-1.0-1`) or snapshot timestamp continues the version before it. */
const VERSION_CONTINUATION = /^(?:\d+|\d{8}\.\d{6}-\d+)$/;

/** The archive's base name without directories and archive extension. */
function archiveBaseName(fileName: string): string {
  return fileName.slice(fileName.lastIndexOf('/') + 1).replace(ARCHIVE_EXTENSION, '');
}

/**
 * Maven-style file name `<artifactId>-<version>.<ext>` → its parts: `commons-lang3-3.12.0.jar` →
 * `commons-lang3` / `3.12.0`. As in Trivy's jar parser (a greedy artifact group before
 * `-(\d\S*)`), the version starts at the LAST `-<digit>`, since artifact ids do contain such segments
 * (`log4j-1.2-api-2.19.0`, `servlet-api-2.5-6.1.14`); unlike Trivy, a trailing build number or
 * snapshot timestamp (`zstd-jni-1.5.5-11`, `plexus-i18n-1.0-beta-10`, `x-1.0-20220101.123456-1`)
 * stays with the version before it, which on the 1,019 jars of this host's ~/.m2 turns Trivy's
 * 9 wrong splits into none. Versions must look like Maven versions (Debian's `0.1~+svn49` does not).
 */
export function parseArchiveFileName(fileName: string): { artifactId: string; version: string } | undefined {
  const base = archiveBaseName(fileName);
  const starts: number[] = [];
  for (let i = 1; i < base.length - 1; i++) if (base[i] === '-' && base.charCodeAt(i + 1) >= 48 && base.charCodeAt(i + 1) <= 57) starts.push(i);
  let k = starts.length - 1;
  while (k > 0 && VERSION_CONTINUATION.test(base.slice((starts[k] as number) + 1))) k--;
  if (k < 0) return undefined;
  const at = starts[k] as number;
  const version = base.slice(at + 1);
  if (!FILE_NAME_VERSION.test(version)) return undefined;
  return { artifactId: base.slice(0, at), version };
}

/** Separator runs (`-`, `_`, `.`) compared as one: Debian ships `geronimo-annotation_1.3_spec` as `geronimo-annotation-1.3-spec.jar`. */
function looseName(s: string): string {
  return s.toLowerCase().replace(/[-_.]+/g, '.');
}

/**
 * Whether Maven coordinates found inside an archive are the archive itself rather than a project
 * it bundles (shaded and fat jars carry their dependencies' pom.properties too). As Syft's
 * `artifactIDMatchesFilename`, with separators compared loosely: the whole base name is the
 * artifact id, with or without `-<version>` (`log4j-1.2-api.jar`, Debian's unversioned names); or
 * the Maven-style file name's artifact is the artifact id, a prefix of it at a separator
 * (`akka-actor` for `akka-actor_2.13`) or ends with it after a group (Quarkus' `io.quarkus.gizmo.gizmo-1.1.jar`).
 */
export function coordinatesNameArchive(artifactId: string, version: string | undefined, fileName: string): boolean {
  const base = looseName(archiveBaseName(fileName));
  if (base === looseName(artifactId) || (version !== undefined && base === looseName(`${artifactId}-${version}`))) return true;
  const fromFile = parseArchiveFileName(fileName);
  return fromFile !== undefined && fileNameNamesArtifact(fromFile.artifactId, artifactId);
}

function fileNameNamesArtifact(fileArtifactId: string, artifactId: string): boolean {
  const named = looseName(fileArtifactId);
  const artifact = looseName(artifactId);
  // The group prefix is joined with a literal dot, so that suffix test uses the names as written.
  return named === artifact || artifact.startsWith(`${named}.`) || fileArtifactId.endsWith(`.${artifactId}`);
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

/** A project directory under `META-INF/maven/` (from a pom.properties or pom.xml path). */
export interface MavenProjectDir {
  groupId: string;
  artifactId: string;
}

function unresolved(...values: string[]): boolean {
  // `${revision}` in CI-friendly builds: the property was never substituted.
  return values.some((v) => v.includes('${'));
}

/**
 * The artifacts one archive (not its nested ones) identifies. `projects` are the
 * `META-INF/maven/<g>/<a>/` directories holding a pom.properties or pom.xml, `metadata` the
 * inflated pom.properties and MANIFEST.MF entries by name. Every usable pom.properties is an
 * artifact. Only when none of them (and no pom.xml-only project) names the archive itself does
 * the manifest or, failing that, the file name add a low-confidence guess for it, as in Trivy and
 * Syft; an archive whose file name says nothing (`app.jar`) is taken to be one of its projects.
 */
export function identifyArchive(projects: Iterable<MavenProjectDir>, metadata: ReadonlyMap<string, Uint8Array>, fileName: string, archivePath: string): JavaArtifact[] {
  const decoder = new TextDecoder('utf-8');
  const own: JavaArtifact[] = [];
  const fromFile = parseArchiveFileName(fileName);
  let identified = false;
  let versionless: MavenProjectDir | undefined;
  for (const project of projects) {
    const data = metadata.get(`META-INF/maven/${project.groupId}/${project.artifactId}/pom.properties`);
    const props = data ? parseProperties(decoder.decode(data)) : new Map<string, string>();
    const groupId = props.get('groupId')?.trim() ?? '';
    const artifactId = props.get('artifactId')?.trim() ?? '';
    const version = props.get('version')?.trim() ?? '';
    if (groupId && artifactId && version && !unresolved(groupId, artifactId, version)) {
      own.push({ groupId, artifactId, version, archivePath, source: 'pom.properties' });
      if (coordinatesNameArchive(artifactId, version, fileName)) identified = true;
    } else if (!versionless && !unresolved(project.groupId, project.artifactId) && coordinatesNameArchive(project.artifactId, undefined, fileName)) {
      versionless = project;
    }
  }
  if (identified) return own;
  if (versionless) {
    // The archive's own project without a usable version (pom.xml only, or an unresolved
    // `${revision}`): group and artifact are known, the version only from a matching file name.
    if (fromFile && fileNameNamesArtifact(fromFile.artifactId, versionless.artifactId)) {
      own.push({ ...versionless, version: fromFile.version, archivePath, source: 'filename' });
    }
    return own;
  }
  if (own.length > 0 && !fromFile) return own;
  const manifestBytes = metadata.get('META-INF/MANIFEST.MF');
  const manifest = manifestBytes ? identityFromManifest(parseManifest(decoder.decode(manifestBytes)), fileName) : undefined;
  const known = (artifactId: string): boolean => own.some((a) => a.artifactId === artifactId);
  if (manifest && !known(manifest.artifactId)) own.push({ ...manifest, archivePath, source: 'manifest' });
  else if (!manifest && fromFile && !known(fromFile.artifactId)) own.push({ groupId: '', ...fromFile, archivePath, source: 'filename' });
  return own;
}
