/**
 * The inventory model: what an image contains. Produced by analyzers, consumed by the matcher,
 * the SBOM writers, the store and the dashboard. Field names are the JSON report's names.
 */

/** Where a package was found: the layer that last wrote the file, and the file's path in the image. */
export interface Location {
  /** Layer digest (`sha256:…`, the compressed blob digest as in the manifest); empty for `dir:` scans. */
  layer: string;
  /** Path inside the image, without a leading slash (`var/lib/dpkg/status`). */
  path: string;
}

export type OSFamily =
  | 'debian' | 'ubuntu' | 'alpine' | 'wolfi' | 'chainguard'
  | 'redhat' | 'centos' | 'rocky' | 'alma' | 'fedora' | 'amazon' | 'oracle'
  | 'opensuse' | 'sles' | 'mariner' | 'azurelinux' | 'photon' | 'distroless' | 'unknown';

export interface OSInfo {
  family: OSFamily;
  /** Release as the distribution spells it (`12`, `22.04`, `3.19.1`, `9.3`). */
  version: string;
  /** Human name (`Debian GNU/Linux 12 (bookworm)`). */
  name: string;
  codename?: string;
  /** OSV ecosystem for the OS packages (`Debian:12`, `Ubuntu:22.04`, `Alpine:v3.19`, `Rocky Linux:9`); absent when unknown. */
  ecosystem?: string;
}

/** Kind of package, i.e. which cataloger found it; decides the purl type and the matcher. */
export type PackageType =
  | 'deb' | 'apk' | 'rpm'
  | 'npm' | 'python' | 'go-module' | 'go-stdlib' | 'maven' | 'gem' | 'cargo' | 'composer' | 'nuget';

export interface Package {
  name: string;
  version: string;
  /**
   * OSV ecosystem name: `npm`, `PyPI`, `Go`, `Maven`, `crates.io`, `RubyGems`, `Packagist`, `NuGet`,
   * and for OS packages the OS ecosystem with its release (`Debian:12`, `Alpine:v3.19`).
   * OS analyzers leave it empty; the inventory builder fills it from the detected OS.
   */
  ecosystem: string;
  type: PackageType;
  /** Package URL (https://github.com/package-url/purl-spec); filled by the inventory builder when an analyzer leaves it empty. */
  purl: string;
  arch?: string;
  /** rpm and dpkg epochs are part of `version` (`1:2.3-4`); kept here separately for rpm where feeds need it. */
  epoch?: number;
  /** The source package (dpkg `Source:`, apk `origin`, rpm source RPM name), used to match distro advisories. */
  source?: { name: string; version: string };
  locations: Location[];
  /** Files owned by the package (OS packages), image paths without a leading slash. Not in the JSON report by default. */
  files?: string[];
  licenses?: string[];
  /** `low` when identified from weak evidence (e.g. a jar's file name only). */
  confidence?: 'high' | 'low';
  /** Dependency scope from lockfiles when known. */
  dev?: boolean;
  indirect?: boolean;
  /** Free-form analyzer detail (Go main module, replacement, jar artifact id, …). */
  metadata?: Record<string, unknown>;
}

export interface Inventory {
  os?: OSInfo;
  packages: Package[];
  /** Non-fatal problems: corrupt databases, skipped files. */
  warnings: string[];
}
