/**
 * Java inventory: Maven artifacts in jar/war/ear (and par/sar/jpi/hpi) archives, nested ones
 * included. Each package's location is the outer archive's image path; the chain of nested
 * archives is in `metadata.archivePath` (`app.jar!/BOOT-INF/lib/inner.jar`).
 */
import path from 'node:path';
import { PackageURL } from 'packageurl-js';
import type { Analyzer } from '../../types.ts';
import type { Package } from '../../../model/inventory.ts';
import { isRegularContent } from '../../binary/exe.ts';
import { isJavaArchiveName, scanJavaArchive, type JavaArtifact } from './archive.ts';

export { scanJavaArchive, isJavaArchiveName, DEFAULT_JAVA_LIMITS, JavaArchiveError, type JavaArchiveLimits } from './archive.ts';
export {
  parseManifest, parseProperties, parseArchiveFileName, coordinatesNameArchive, identityFromManifest, type JavaArtifact,
} from './identity.ts';

type PackageDraft = Omit<Package, 'locations'>;

interface JavaFragment {
  packages: PackageDraft[];
  warnings: string[];
}

export function mavenPurl(groupId: string, artifactId: string, version: string): string {
  try {
    return new PackageURL('maven', groupId || undefined, artifactId, version || undefined, undefined, undefined).toString();
  } catch {
    return '';
  }
}

export function artifactToPackage(a: JavaArtifact): PackageDraft {
  const pkg: PackageDraft = {
    // Without a group (file-name evidence only) the artifact id alone is all we know.
    name: a.groupId ? `${a.groupId}:${a.artifactId}` : a.artifactId,
    version: a.version,
    ecosystem: 'Maven',
    type: 'maven',
    purl: mavenPurl(a.groupId, a.artifactId, a.version),
    metadata: { groupId: a.groupId, artifactId: a.artifactId, archivePath: a.archivePath, identitySource: a.source },
  };
  // Only pom.properties is written by the build that produced the artifact; the other sources are guesses.
  if (a.source !== 'pom.properties') pkg.confidence = 'low';
  return pkg;
}

export const javaArchiveAnalyzer: Analyzer<JavaFragment> = {
  name: 'java-archive',
  version: 2,
  kind: 'language',
  maxFileSize: 512 * 1024 * 1024,
  required(filePath, meta) {
    return isRegularContent(meta) && isJavaArchiveName(filePath);
  },
  analyze({ path: filePath, content }) {
    let scanned;
    try {
      scanned = scanJavaArchive(content, path.posix.basename(filePath));
    } catch (err) {
      throw new Error(`${filePath}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const { artifacts, warnings } = scanned;
    return { packages: artifacts.map(artifactToPackage), warnings: warnings.map((w) => `${filePath}: ${w}`) };
  },
  finalize(fragments) {
    const packages: Package[] = [];
    const warnings: string[] = [];
    for (const f of fragments) {
      warnings.push(...f.value.warnings);
      for (const p of f.value.packages) packages.push({ ...p, locations: [{ layer: f.layerDigest, path: f.path }] });
    }
    return { packages, warnings };
  },
};
