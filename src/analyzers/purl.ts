/**
 * Package URLs (https://github.com/package-url/purl-spec) for inventory packages. Encoding and
 * per-type normalisation (pypi lower-case with `-`, `%40` for npm scopes) come from packageurl-js;
 * this module decides namespaces and qualifiers the way the SBOM consumers (Grype, Dependency-Track,
 * Trivy) read them back.
 */
import { PackageURL } from 'packageurl-js';
import type { OSFamily, OSInfo, Package } from '../model/inventory.ts';

/** purl namespace (vendor) of OS packages, by distribution family. */
const OS_NAMESPACE: Partial<Record<OSFamily, string>> = {
  debian: 'debian', ubuntu: 'ubuntu', distroless: 'debian',
  alpine: 'alpine', wolfi: 'wolfi', chainguard: 'chainguard',
  redhat: 'redhat', centos: 'centos', rocky: 'rocky', alma: 'almalinux', fedora: 'fedora', amazon: 'amazon',
  oracle: 'oracle', opensuse: 'opensuse', sles: 'suse', mariner: 'mariner', azurelinux: 'azurelinux', photon: 'photon',
};

/** os-release ID of each family, used in the `distro` qualifier (`debian-12`, `rhel-9.3`). */
const DISTRO_ID: Partial<Record<OSFamily, string>> = {
  debian: 'debian', ubuntu: 'ubuntu', distroless: 'debian', alpine: 'alpine', wolfi: 'wolfi', chainguard: 'chainguard',
  redhat: 'rhel', centos: 'centos', rocky: 'rocky', alma: 'almalinux', fedora: 'fedora', amazon: 'amzn', oracle: 'ol',
  opensuse: 'opensuse-leap', sles: 'sles', mariner: 'mariner', azurelinux: 'azurelinux', photon: 'photon',
};

const DEFAULT_NAMESPACE: Record<'deb' | 'apk' | 'rpm', string> = { deb: 'debian', apk: 'alpine', rpm: 'redhat' };

function distroQualifier(os: OSInfo | undefined): string | undefined {
  if (!os || !os.version) return undefined;
  const id = os.family === 'opensuse' && /tumbleweed/i.test(os.name) ? 'opensuse-tumbleweed' : DISTRO_ID[os.family];
  if (!id) return undefined;
  // Debian's VERSION_ID is the major release; a point release from debian_version (12.5) is not part of it.
  const version = os.family === 'debian' ? (/^\d+/.exec(os.version)?.[0] ?? os.version) : os.version;
  return `${id}-${version}`;
}

function make(type: string, namespace: string | undefined, name: string, version: string | undefined, qualifiers?: Record<string, string>): string {
  try {
    const q = qualifiers && Object.keys(qualifiers).length > 0 ? qualifiers : undefined;
    return new PackageURL(type, namespace || undefined, name, version || undefined, q, undefined).toString();
  } catch {
    // packageurl-js rejects some inputs (empty names); a missing purl beats a crashed scan.
    return '';
  }
}

function splitLast(s: string, sep: string): [string | undefined, string] {
  const i = s.lastIndexOf(sep);
  return i < 0 ? [undefined, s] : [s.slice(0, i), s.slice(i + 1)];
}

/**
 * The purl of one package; OS packages need the detected OS for namespace and `distro`.
 * Examples: `pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12&upstream=glibc`,
 * `pkg:rpm/redhat/openssl@3.0.7-24.el9?arch=x86_64&distro=rhel-9.3&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm`,
 * `pkg:npm/%40scope/name@1.0.0`, `pkg:golang/github.com/foo/bar@v1.2.3`, `pkg:maven/org.x/y@1.0`.
 */
export function packageUrl(pkg: Package, os?: OSInfo): string {
  switch (pkg.type) {
    case 'deb':
    case 'apk':
    case 'rpm': {
      const namespace = (os && OS_NAMESPACE[os.family]) ?? DEFAULT_NAMESPACE[pkg.type];
      const q: Record<string, string> = {};
      if (pkg.arch) q.arch = pkg.arch;
      const distro = distroQualifier(os);
      if (distro) q.distro = distro;
      let version = pkg.version;
      if (pkg.type === 'rpm') {
        // rpm purls carry the epoch as a qualifier, not in the version.
        version = version.replace(/^\d+:/, '');
        if (pkg.epoch) q.epoch = String(pkg.epoch);
        const srpm = typeof pkg.metadata?.sourceRpm === 'string' ? pkg.metadata.sourceRpm : undefined;
        if (srpm) q.upstream = srpm;
      } else if (pkg.source && (pkg.source.name !== pkg.name || pkg.source.version !== pkg.version)) {
        q.upstream = pkg.source.version !== pkg.version ? `${pkg.source.name}@${pkg.source.version}` : pkg.source.name;
      }
      return make(pkg.type, namespace, pkg.name, version, q);
    }
    case 'npm': {
      const [ns, name] = pkg.name.startsWith('@') ? splitLast(pkg.name, '/') : [undefined, pkg.name];
      return make('npm', ns, name, pkg.version);
    }
    case 'python':
      return make('pypi', undefined, pkg.name.replace(/[-_.]+/g, '-'), pkg.version);
    case 'go-module': {
      const [ns, name] = splitLast(pkg.name, '/');
      return make('golang', ns, name, pkg.version);
    }
    case 'go-stdlib':
      return make('golang', undefined, 'stdlib', pkg.version);
    case 'maven': {
      const [group, artifact] = splitLast(pkg.name, ':');
      return make('maven', group, artifact, pkg.version);
    }
    case 'gem':
      return make('gem', undefined, pkg.name, pkg.version);
    case 'cargo':
      return make('cargo', undefined, pkg.name, pkg.version);
    case 'composer': {
      const [vendor, name] = splitLast(pkg.name, '/');
      return make('composer', vendor, name, pkg.version);
    }
    case 'nuget':
      return make('nuget', undefined, pkg.name, pkg.version);
    default:
      return '';
  }
}
