/**
 * Java archive inventory (jar, war, ear, par, sar, jpi, hpi; pure): walks an archive and the
 * ones nested in it, reading only the entries identity.ts needs (pom.properties, MANIFEST.MF) and
 * the names of `META-INF/maven` project files.
 * Nested archives (WEB-INF/lib, BOOT-INF/lib, jars in ears, wars in ears) are opened recursively
 * up to a depth limit. Only the entries needed are inflated, and every inflation is bounded by
 * the sizes declared in the zip directory, checked before inflating, so zip bombs are refused.
 */
import { InflateBudget, ZipLimitError, readZipDirectory, readZipEntry, type ZipEntry } from '../../../util/zip.ts';
import { identifyArchive, isJavaArchiveName, type JavaArtifact, type MavenProjectDir } from './identity.ts';

export { JAVA_ARCHIVE_EXTENSIONS, isJavaArchiveName, type IdentitySource, type JavaArtifact } from './identity.ts';

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

export class JavaArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JavaArchiveError';
  }
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
/** `META-INF/maven/<group>/<artifact>/` of a pom.properties or pom.xml: the coordinates Maven packaged the project under. */
const MAVEN_PROJECT_FILE = /^META-INF\/maven\/([^/]+)\/([^/]+)\/pom\.(?:properties|xml)$/;

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
  /** group/artifact directories under META-INF/maven holding a pom.properties or pom.xml. */
  const mavenProjects = new Map<string, MavenProjectDir>();
  try {
    const dir = readZipDirectory(bytes);
    for (const entry of dir.entries) {
      const name = entry.name;
      if (name.endsWith('/') || entries.has(name)) continue;
      const project = MAVEN_PROJECT_FILE.exec(name);
      if (project) mavenProjects.set(`${project[1]}/${project[2]}`, { groupId: project[1] as string, artifactId: project[2] as string });
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
  const own = identifyArchive(mavenProjects.values(), entries, fileName, archivePath);
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
