/**
 * A real Debian root filesystem for end-to-end tests: `debootstrap --variant=minbase bookworm`,
 * built once per machine (about a minute) and cached at /tmp/pw-debootstrap-bookworm, which other
 * suites reuse. A lock file serialises concurrent builders; a marker beside the directory (not in
 * it, so it never shows up in the image) says the build finished.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

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
