import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import fc from 'fast-check';
import { osReleaseAnalyzer, parseOsRelease, osvEcosystem } from '../../../src/analyzers/os/os-release.ts';
import type { OSInfo } from '../../../src/model/inventory.ts';
import { runAnalyzer } from './helpers.ts';

async function detect(files: Record<string, string>): Promise<{ os?: OSInfo; warnings: string[] }> {
  const out = await runAnalyzer(osReleaseAnalyzer, new Map(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)])));
  return { os: out.os, warnings: out.warnings ?? [] };
}

const DEBIAN12 = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n';
const UBUNTU2204 = 'PRETTY_NAME="Ubuntu 22.04.3 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION="22.04.3 LTS (Jammy Jellyfish)"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\nUBUNTU_CODENAME=jammy\n';

describe('os-release detection', () => {
  const cases: Array<[string, Record<string, string>, Partial<OSInfo>]> = [
    ['Debian 12 with point release', { 'etc/os-release': DEBIAN12, 'etc/debian_version': '12.5\n' },
      { family: 'debian', version: '12.5', codename: 'bookworm', ecosystem: 'Debian:12', name: 'Debian GNU/Linux 12 (bookworm)' }],
    ['Debian testing (no VERSION_ID)', { 'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nNAME="Debian GNU/Linux"\nVERSION_CODENAME=trixie\nID=debian\n', 'etc/debian_version': 'trixie/sid\n' },
      { family: 'debian', version: 'trixie/sid', codename: 'trixie', ecosystem: 'Debian:13' }],
    ['Debian only debian_version', { 'etc/debian_version': '9.13\n' }, { family: 'debian', version: '9.13', ecosystem: 'Debian:9' }],
    ['Google distroless (os-release says Debian)', { 'etc/os-release': 'PRETTY_NAME="Distroless"\nNAME="Debian GNU/Linux"\nID="debian"\nVERSION_ID="12"\nVERSION="Debian GNU/Linux 12 (bookworm)"\nHOME_URL="https://github.com/GoogleContainerTools/distroless"\n' },
      { family: 'debian', version: '12', codename: 'bookworm', ecosystem: 'Debian:12', name: 'Distroless' }],
    ['distroless without os-release: base-files in status.d', { 'var/lib/dpkg/status.d/base-files': 'Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n' },
      { family: 'debian', version: '12', ecosystem: 'Debian:12' }],
    ['Ubuntu 22.04 LTS', { 'etc/os-release': UBUNTU2204 }, { family: 'ubuntu', version: '22.04', codename: 'jammy', ecosystem: 'Ubuntu:22.04:LTS' }],
    ['Ubuntu 25.10 non-LTS', { 'etc/os-release': 'NAME="Ubuntu"\nVERSION_ID="25.10"\nVERSION="25.10 (Questing Quokka)"\nID=ubuntu\n' }, { ecosystem: 'Ubuntu:25.10' }],
    ['old Ubuntu via lsb-release', { 'etc/lsb-release': 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=14.04\nDISTRIB_CODENAME=trusty\nDISTRIB_DESCRIPTION="Ubuntu 14.04.6 LTS"\n', 'etc/debian_version': 'jessie/sid\n' },
      { family: 'ubuntu', version: '14.04', codename: 'trusty', ecosystem: 'Ubuntu:14.04:LTS' }],
    ['Alpine', { 'etc/os-release': 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n', 'etc/alpine-release': '3.19.1\n' },
      { family: 'alpine', version: '3.19.1', ecosystem: 'Alpine:v3.19' }],
    ['Alpine without os-release', { 'etc/alpine-release': '3.10.2\n' }, { family: 'alpine', version: '3.10.2', ecosystem: 'Alpine:v3.10' }],
    ['usr/lib/os-release only', { 'usr/lib/os-release': DEBIAN12 }, { ecosystem: 'Debian:12' }],
    ['etc wins over usr/lib', { 'usr/lib/os-release': DEBIAN12, 'etc/os-release': UBUNTU2204 }, { family: 'ubuntu' }],
    ['empty etc/os-release does not hide usr/lib', { 'etc/os-release': '', 'usr/lib/os-release': DEBIAN12 }, { family: 'debian' }],
    ['RHEL 9', { 'etc/os-release': 'NAME="Red Hat Enterprise Linux"\nVERSION="9.3 (Plow)"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.3"\nPRETTY_NAME="Red Hat Enterprise Linux 9.3 (Plow)"\n' },
      { family: 'redhat', version: '9.3', ecosystem: 'Red Hat:9', codename: 'plow' }],
    ['CentOS 6 redhat-release only', { 'etc/redhat-release': 'CentOS release 6.10 (Final)\n' }, { family: 'centos', version: '6.10', ecosystem: 'CentOS:6' }],
    ['Rocky', { 'etc/os-release': 'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="9.3"\n' }, { family: 'rocky', ecosystem: 'Rocky Linux:9' }],
    ['Alma', { 'etc/os-release': 'NAME="AlmaLinux"\nID="almalinux"\nVERSION_ID="8.9"\n' }, { family: 'alma', ecosystem: 'AlmaLinux:8' }],
    ['Amazon 2023', { 'etc/os-release': 'NAME="Amazon Linux"\nID="amzn"\nVERSION_ID="2023"\n' }, { family: 'amazon', ecosystem: 'Amazon Linux:2023' }],
    ['Amazon 1', { 'etc/os-release': 'NAME="Amazon Linux AMI"\nID="amzn"\nVERSION_ID="2018.03"\n' }, { ecosystem: 'Amazon Linux:1' }],
    ['openSUSE Leap', { 'etc/os-release': 'NAME="openSUSE Leap"\nVERSION="15.5"\nID="opensuse-leap"\nVERSION_ID="15.5"\n' }, { family: 'opensuse', ecosystem: 'openSUSE:Leap 15.5' }],
    ['openSUSE Tumbleweed', { 'etc/os-release': 'NAME="openSUSE Tumbleweed"\nID="opensuse-tumbleweed"\nVERSION_ID="20240101"\n' }, { ecosystem: 'openSUSE:Tumbleweed' }],
    ['SLES 15 SP5', { 'etc/os-release': 'NAME="SLES"\nVERSION="15-SP5"\nVERSION_ID="15.5"\nID="sles"\n' }, { family: 'sles', ecosystem: 'SUSE:Linux Enterprise Server 15 SP5' }],
    ['SLE Micro', { 'etc/os-release': 'NAME="SLE Micro"\nVERSION_ID="5.4"\nID="sle-micro"\n' }, { family: 'sles', ecosystem: 'SUSE:Linux Enterprise Micro 5.4' }],
    ['CBL-Mariner 2', { 'etc/os-release': 'NAME="Common Base Linux Mariner"\nVERSION="2.0.20240123"\nID=mariner\nVERSION_ID="2.0"\n' }, { family: 'mariner', ecosystem: 'Mariner:2' }],
    ['Azure Linux 3', { 'etc/os-release': 'NAME="Microsoft Azure Linux"\nVERSION="3.0.20240727"\nID=azurelinux\nVERSION_ID="3.0"\n' }, { family: 'azurelinux', ecosystem: 'Azure Linux:3' }],
    ['Photon 5', { 'etc/os-release': 'NAME="VMware Photon OS"\nVERSION="5.0"\nID=photon\nVERSION_ID=5.0\n' }, { family: 'photon', ecosystem: 'Photon OS:5.0' }],
    ['Wolfi', { 'etc/os-release': 'ID=wolfi\nNAME="Wolfi"\nPRETTY_NAME="Wolfi"\nVERSION_ID="20230201"\n' }, { family: 'wolfi', ecosystem: 'Wolfi' }],
    ['Chainguard', { 'etc/os-release': 'ID=chainguard\nNAME="Chainguard"\nVERSION_ID="20230214"\n' }, { family: 'chainguard', ecosystem: 'Chainguard' }],
  ];
  for (const [label, files, want] of cases) {
    test(label, async () => {
      const { os } = await detect(files);
      assert.ok(os, 'no OS detected');
      for (const [k, v] of Object.entries(want)) assert.equal(os[k as keyof OSInfo], v, `${k}`);
    });
  }

  test('unknown distribution: family unknown, no ecosystem, no crash', async () => {
    const { os } = await detect({ 'etc/os-release': 'ID=gentoo\nNAME=Gentoo\n' });
    assert.equal(os?.family, 'unknown');
    assert.equal(os?.ecosystem, undefined);
  });

  test('no release files: no OS', async () => {
    assert.equal((await detect({})).os, undefined);
  });

  test('Ubuntu ecosystems follow the naming of the staged Ubuntu OSV records', () => {
    const mk = (version: string, name: string): string | undefined => osvEcosystem({ family: 'ubuntu', version, name });
    assert.equal(mk('18.04', 'Ubuntu 18.04.6 LTS'), 'Ubuntu:18.04:LTS');
    assert.equal(mk('24.04', 'Ubuntu 24.04'), 'Ubuntu:24.04:LTS');
    assert.equal(mk('23.10', 'Ubuntu 23.10'), 'Ubuntu:23.10');
  });

  test('required: regular files and hard links only, no prototype-key paths', () => {
    const meta = (type: 'file' | 'hardlink' | 'symlink') => ({ path: 'etc/os-release', type, size: 10, mode: 0o644, layerIndex: 0, layerDigest: '' });
    assert.equal(osReleaseAnalyzer.required('etc/os-release', meta('file')), true);
    assert.equal(osReleaseAnalyzer.required('etc/os-release', meta('hardlink')), true);
    assert.equal(osReleaseAnalyzer.required('etc/os-release', meta('symlink')), false);
    assert.equal(osReleaseAnalyzer.required('constructor', meta('file')), false);
    assert.equal(osReleaseAnalyzer.required('toString', meta('file')), false);
  });

  test('os-release quoting', () => {
    const m = parseOsRelease('# c\nA="x \\"y\\""\nB=\'z\'\nC=plain\nbad line\n');
    assert.deepEqual([...m], [['A', 'x "y"'], ['B', 'z'], ['C', 'plain']]);
  });

  test('host os-release (real Debian 12 system)', async (t) => {
    if (!existsSync('/etc/os-release')) { t.skip('no /etc/os-release'); return; }
    const files: Record<string, string> = { 'etc/os-release': readFileSync('/etc/os-release', 'utf8') };
    if (existsSync('/etc/debian_version')) files['etc/debian_version'] = readFileSync('/etc/debian_version', 'utf8');
    const { os } = await detect(files);
    const id = /^ID=(.*)$/m.exec(files['etc/os-release'] ?? '')?.[1]?.replace(/"/g, '');
    if (id === 'debian') assert.match(os?.ecosystem ?? '', /^Debian:\d+$/);
    else assert.ok(os);
  });

  test('fuzz: random release file contents never crash', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 300 }), fc.constantFrom('etc/os-release', 'etc/lsb-release', 'etc/redhat-release', 'etc/debian_version', 'etc/alpine-release'), async (text, p) => {
      await detect({ [p]: text });
    }), { numRuns: 200 });
  });
});
