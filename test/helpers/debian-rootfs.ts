/**
 * A real Debian root filesystem for end-to-end tests: `debootstrap --variant=minbase bookworm`,
 * built once per machine (about a minute) and cached at /tmp/pw-debootstrap-bookworm, which other
 * suites reuse. A lock file serialises concurrent builders; a marker beside the directory (not in
 * it, so it never shows up in the image) says the build finished.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

export const DEBIAN_ROOTFS = process.env.PORTWARDEN_TEST_ROOTFS ?? '/tmp/pw-debootstrap-bookworm';
const MIRROR = process.env.PORTWARDEN_TEST_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

export function debootstrapAvailable(): boolean {
  return existsSync('/usr/sbin/debootstrap') && process.getuid?.() === 0;
}

/** Returns the rootfs path, building it first when needed. Throws with debootstrap's output on failure. */
export function ensureDebianRootfs(): string {
  if (existsSync(`${DEBIAN_ROOTFS}.complete`)) return DEBIAN_ROOTFS;
  const script = [
    `test -f '${DEBIAN_ROOTFS}.complete' && exit 0`,
    `rm -rf '${DEBIAN_ROOTFS}' '${DEBIAN_ROOTFS}.tmp'`,
    `debootstrap --variant=minbase bookworm '${DEBIAN_ROOTFS}.tmp' '${MIRROR}' >'${DEBIAN_ROOTFS}.log' 2>&1 || { tail -20 '${DEBIAN_ROOTFS}.log' >&2; exit 1; }`,
    `mv '${DEBIAN_ROOTFS}.tmp' '${DEBIAN_ROOTFS}'`,
    `touch '${DEBIAN_ROOTFS}.complete'`,
  ].join('\n');
  execFileSync('flock', [`${DEBIAN_ROOTFS}.lock`, 'sh', '-c', script], { stdio: ['ignore', 'inherit', 'pipe'], timeout: 15 * 60_000 });
  return DEBIAN_ROOTFS;
}

/**
 * The bookworm rootfs plus extra Debian packages (`apt-get install --no-install-recommends` in a
 * chroot of a copy), for differential tests against the ecosystems' own tools inside it. Cached at
 * `${DEBIAN_ROOTFS}-${name}`; the build holds /tmp/apt.lock like every apt run on this machine.
 * Debootstrap's `--include` is not used because it does not resolve virtual packages. `setup`, a
 * shell script, then runs in the chroot (as root, cwd /) for what apt does not install.
 */
export function ensureDebianRootfsWith(name: string, packages: string[], setup = ''): string {
  const base = ensureDebianRootfs();
  const dir = `${DEBIAN_ROOTFS}-${name}`;
  // The marker holds the package list and the setup script's digest, so a change rebuilds the cache.
  const wanted = `${packages.join(' ')} ${createHash('sha256').update(setup).digest('hex').slice(0, 16)}`;
  const built = (): boolean => existsSync(`${dir}.complete`) && readFileSync(`${dir}.complete`, 'utf8') === wanted;
  if (built()) return dir;
  const chroot = `chroot '${dir}.tmp'`;
  const script = [
    `test "$(cat '${dir}.complete' 2>/dev/null)" = '${wanted}' && exit 0`,
    `rm -rf '${dir}' '${dir}.tmp' '${dir}.complete'`,
    `cp -a '${base}' '${dir}.tmp'`,
    `cp /etc/resolv.conf '${dir}.tmp/etc/resolv.conf'`,
    `{ ${chroot} apt-get update && DEBIAN_FRONTEND=noninteractive ${chroot} apt-get install -y --no-install-recommends ${packages.join(' ')} && ${chroot} apt-get clean; } >'${dir}.log' 2>&1 || { tail -20 '${dir}.log' >&2; exit 1; }`,
    `rm -rf '${dir}.tmp/var/lib/apt/lists/'*`,
    ...(setup ? [
      `cat >'${dir}.tmp/tmp/pw-setup.sh' <<'PW_SETUP_EOF'\n${setup}\nPW_SETUP_EOF`,
      `(cd / && chroot '${dir}.tmp' sh -e /tmp/pw-setup.sh) >>'${dir}.log' 2>&1 || { tail -20 '${dir}.log' >&2; exit 1; }`,
      `rm -rf '${dir}.tmp/tmp/'*`,
    ] : []),
    `mv '${dir}.tmp' '${dir}'`,
    `printf '%s' '${wanted}' >'${dir}.complete'`,
  ].join('\n');
  execFileSync('flock', ['/tmp/apt.lock', 'flock', `${dir}.lock`, 'sh', '-c', script], { stdio: ['ignore', 'inherit', 'pipe'], timeout: 15 * 60_000 });
  return dir;
}

/** Debian packages whose Python distributions and Ruby gems the language differential tests compare against python3 and gem. */
export const LANGUAGE_ROOTFS_PACKAGES = [
  'python3', 'python3-requests', 'python3-yaml', 'python3-setuptools', 'python3-pip', 'python3-wheel', 'python3-jinja2',
  'python3-cryptography', 'ruby', 'ruby-rack', 'rake', 'ruby-nokogiri',
];

/**
 * Installed with the tools themselves, offline, next to the debs: a local Python project by pip
 * into /usr/local/lib/python3.11/dist-packages and a local gem by `gem install` into
 * /var/lib/gems. Neither belongs to a deb, so the inventory must keep them.
 */
export const LANGUAGE_ROOTFS_LOCAL_INSTALLS = {
  // setuptools writes `Name: PW-Demo.Pkg` (its safe_name) into METADATA, the directory as PW_Demo.Pkg-….
  python: { name: 'PW-Demo.Pkg', dir: 'PW_Demo.Pkg-1.0.post2.dist-info', version: '1.0.post2', purl: 'pkg:pypi/pw-demo-pkg@1.0.post2' },
  gem: { name: 'pw_gem', version: '0.3.1.pre', purl: 'pkg:gem/pw_gem@0.3.1.pre' },
};

const LANGUAGE_ROOTFS_SETUP = `
mkdir -p /tmp/src/pwdemo/pwdemo && cd /tmp/src/pwdemo && touch pwdemo/__init__.py
printf '[build-system]\\nrequires = ["setuptools"]\\nbuild-backend = "setuptools.build_meta"\\n[project]\\nname = "PW_Demo.Pkg"\\nversion = "1.0.post2"\\n' >pyproject.toml
pip install --no-index --no-build-isolation --break-system-packages .
mkdir -p /tmp/src/pwgem && cd /tmp/src/pwgem
printf 'Gem::Specification.new do |s|\\n  s.name = "pw_gem"\\n  s.version = "0.3.1.pre"\\n  s.summary = "demo"\\n  s.authors = ["x"]\\n  s.files = []\\n  s.licenses = ["MIT"]\\nend\\n' >pw_gem.gemspec
gem build pw_gem.gemspec
gem install --local ./pw_gem-0.3.1.pre.gem
`;

/** The bookworm rootfs with LANGUAGE_ROOTFS_PACKAGES and LANGUAGE_ROOTFS_LOCAL_INSTALLS (cached at `${DEBIAN_ROOTFS}-langs`). */
export function ensureDebianLanguageRootfs(): string {
  return ensureDebianRootfsWith('langs', LANGUAGE_ROOTFS_PACKAGES, LANGUAGE_ROOTFS_SETUP);
}
