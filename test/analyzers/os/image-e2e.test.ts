/**
 * The OS analyzers through the real layer walker and inventory builder, on OCI layouts built here:
 * later layers replacing the dpkg status, whiteouts, symlinked os-release, hard-linked databases.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildImage, writeOciLayout, type LayerSpec } from '../../helpers/image-builder.ts';
import { debootstrapAvailable, ensureDebianRootfs } from '../../helpers/debian-rootfs.ts';
import { haveSharedData, requireOrSkip, sharedData } from '../../helpers/shared-data.ts';
import { openSource } from '../../../src/image/open.ts';
import { walkImage } from '../../../src/image/walk.ts';
import { buildInventory } from '../../../src/analyzers/inventory.ts';
import { dpkgAnalyzer } from '../../../src/analyzers/os/dpkg.ts';
import { apkAnalyzer } from '../../../src/analyzers/os/apk.ts';
import { osReleaseAnalyzer } from '../../../src/analyzers/os/os-release.ts';
import { rpmAnalyzer } from '../../../src/analyzers/os/rpm/index.ts';
import type { Analyzer } from '../../../src/analyzers/types.ts';
import type { Inventory } from '../../../src/model/inventory.ts';

const OS_ANALYZERS = [dpkgAnalyzer, apkAnalyzer, osReleaseAnalyzer, rpmAnalyzer] as Analyzer[];

async function scan(layers: LayerSpec[]): Promise<{ inv: Inventory; layerDigests: string[]; walkWarnings: string[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-os-e2e-'));
  try {
    const image = await buildImage({ layers });
    await writeOciLayout(dir, image, 'test');
    const source = await openSource(`oci:${dir}:test`);
    try {
      const res = await walkImage(source, { analyzers: OS_ANALYZERS });
      return { inv: buildInventory(res.outputs.values()), layerDigests: image.layers.map((l) => l.digest), walkWarnings: res.warnings };
    } finally {
      await source.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const stanza = (name: string, version: string, status = 'install ok installed', extra = ''): string =>
  `Package: ${name}\nStatus: ${status}\nArchitecture: amd64\nVersion: ${version}\n${extra}Description: d\n x\n`;

describe('OS inventory through the layer walker', () => {
  test('Debian: later status wins, removed package gone, info lists and whiteouts respected', async () => {
    const { inv, layerDigests } = await scan([
      { files: [
        { path: 'usr/lib/os-release', content: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n' },
        { path: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
        { path: 'etc/debian_version', content: '12.5\n' },
        { path: 'var/lib/dpkg/status', content: [stanza('libc6', '2.36-9+deb12u3', undefined, 'Source: glibc\nMulti-Arch: same\n'), stanza('curl', '7.88.1-10+deb12u4')].join('\n') },
        { path: 'var/lib/dpkg/info/libc6:amd64.list', content: '/.\n/lib/x86_64-linux-gnu/libc.so.6\n' },
        { path: 'var/lib/dpkg/info/curl.list', content: '/usr/bin/curl\n' },
      ] },
      { files: [
        { path: 'var/lib/dpkg/status', content: [stanza('libc6', '2.36-9+deb12u4', undefined, 'Source: glibc\nMulti-Arch: same\n'), stanza('curl', '7.88.1-10+deb12u4', 'deinstall ok config-files')].join('\n') },
        { path: 'var/lib/dpkg/info/.wh.curl.list', content: '' },
      ] },
    ]);
    assert.equal(inv.os?.ecosystem, 'Debian:12');
    assert.equal(inv.os?.version, '12.5');
    assert.deepEqual(inv.packages.map((p) => [p.name, p.version, p.ecosystem, p.source?.name]), [['libc6', '2.36-9+deb12u4', 'Debian:12', 'glibc']]);
    const libc = inv.packages[0];
    assert.deepEqual(libc?.locations, [{ layer: layerDigests[1], path: 'var/lib/dpkg/status' }]);
    assert.deepEqual(libc?.files, ['lib/x86_64-linux-gnu/libc.so.6']);
    assert.equal(libc?.purl, 'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12&upstream=glibc');
  });

  test('Google distroless: status.d files, md5sums ownership, Distroless os-release', async () => {
    const entry = (name: string, version: string, source = ''): string =>
      `Package: ${name}\nVersion: ${version}\nArchitecture: amd64\n${source}Maintainer: x\nDescription: d\n`;
    const { inv } = await scan([{ files: [
      { path: 'etc/os-release', content: 'PRETTY_NAME="Distroless"\nNAME="Debian GNU/Linux"\nID="debian"\nVERSION_ID="12"\nVERSION="Debian GNU/Linux 12 (bookworm)"\nHOME_URL="https://github.com/GoogleContainerTools/distroless"\n' },
      { path: 'var/lib/dpkg/status.d/base-files', content: entry('base-files', '12.4+deb12u5') },
      { path: 'var/lib/dpkg/status.d/libc6', content: entry('libc6', '2.36-9+deb12u7', 'Source: glibc\n') },
      { path: 'var/lib/dpkg/status.d/libc6.md5sums', content: '0123456789abcdef0123456789abcdef  lib/x86_64-linux-gnu/libc.so.6\n' },
      { path: 'var/lib/dpkg/status.d/libssl3', content: entry('libssl3', '3.0.13-1~deb12u1', 'Source: openssl\n') },
    ] }]);
    assert.equal(inv.os?.ecosystem, 'Debian:12');
    assert.equal(inv.os?.name, 'Distroless');
    assert.deepEqual(inv.packages.map((p) => [p.name, p.source?.name, p.locations[0]?.path]), [
      ['base-files', 'base-files', 'var/lib/dpkg/status.d/base-files'],
      ['libc6', 'glibc', 'var/lib/dpkg/status.d/libc6'],
      ['libssl3', 'openssl', 'var/lib/dpkg/status.d/libssl3'],
    ]);
    assert.deepEqual(inv.packages[1]?.files, ['lib/x86_64-linux-gnu/libc.so.6']);
  });

  test('Alpine: hard-linked apk database is read', async () => {
    const { inv } = await scan([{ files: [
      { path: 'etc/alpine-release', content: '3.19.1\n' },
      { path: 'etc/os-release', content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n' },
      { path: 'lib/apk/db/installed.orig', content: 'P:libssl3\nV:3.1.4-r5\nA:x86_64\no:openssl\nF:usr/lib\nR:libssl.so.3\n\n' },
      { path: 'lib/apk/db/installed', type: 'hardlink', linkname: 'lib/apk/db/installed.orig' },
    ] }]);
    assert.equal(inv.os?.ecosystem, 'Alpine:v3.19');
    assert.deepEqual(inv.packages.map((p) => [p.name, p.version, p.source?.name, p.ecosystem, p.files]), [['libssl3', '3.1.4-r5', 'openssl', 'Alpine:v3.19', ['usr/lib/libssl.so.3']]]);
  });

  test('CBL-Mariner: rpmdb.sqlite under usr/lib/sysimage/rpm', async (t) => {
    if (!haveSharedData(t, 'pkgdb-fixtures/rpm/go-rpmdb-cbl-mariner2-sqlite')) return;
    const db = readFileSync(sharedData('pkgdb-fixtures/rpm/go-rpmdb-cbl-mariner2-sqlite/input/var/lib/rpm/rpmdb.sqlite'));
    const { inv } = await scan([{ files: [
      { path: 'etc/os-release', content: 'NAME="Common Base Linux Mariner"\nVERSION="2.0.20220226"\nID=mariner\nVERSION_ID=2.0\n' },
      { path: 'usr/lib/sysimage/rpm/rpmdb.sqlite', content: db },
      { path: 'var/lib/rpm', type: 'symlink', linkname: '../../usr/lib/sysimage/rpm' },
    ] }]);
    assert.equal(inv.packages.length, 129);
    assert.ok(inv.packages.every((p) => p.ecosystem === 'Mariner:2' && p.type === 'rpm' && p.locations[0]?.path === 'usr/lib/sysimage/rpm/rpmdb.sqlite'));
  });

  test('corrupt rpmdb: a warning naming the file, the scan goes on', async () => {
    const { inv, walkWarnings } = await scan([{ files: [
      { path: 'etc/os-release', content: 'ID=rocky\nNAME="Rocky Linux"\nVERSION_ID="9.3"\n' },
      { path: 'var/lib/rpm/Packages', content: Buffer.concat([Buffer.from([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x61, 0x15, 0x06, 0]), Buffer.alloc(600, 0xff)]) },
    ] }]);
    assert.equal(inv.os?.ecosystem, 'Rocky Linux:9');
    assert.equal(inv.packages.length, 0);
    assert.match(walkWarnings.join('\n'), /var\/lib\/rpm\/Packages/);
  });
});

describe('full analyzer set (OS + language) through the walker', () => {
  test("Debian's python3-requests is reported once, as the deb; a pip-installed copy stays", async () => {
    const { ALL_ANALYZERS } = await import('../../../src/analyzers/index.ts');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-os-e2e-'));
    try {
      const egg = 'usr/lib/python3/dist-packages/requests-2.28.1.egg-info';
      const image = await buildImage({ layers: [{ files: [
        { path: 'etc/os-release', content: 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n' },
        { path: 'var/lib/dpkg/status', content: stanza('python3-requests', '2.28.1+dfsg-1', undefined, 'Source: requests\n').replace('amd64', 'all') },
        { path: 'var/lib/dpkg/info/python3-requests.list', content: `/.\n/usr\n/usr/lib/python3/dist-packages/requests\n/${egg}\n/${egg}/PKG-INFO\n/${egg}/top_level.txt\n` },
        { path: `${egg}/PKG-INFO`, content: 'Metadata-Version: 2.1\nName: requests\nVersion: 2.28.1\n' },
        { path: 'usr/local/lib/python3.11/dist-packages/requests-2.31.0.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n' },
      ] }] });
      await writeOciLayout(dir, image, 'test');
      const source = await openSource(`oci:${dir}:test`);
      try {
        const res = await walkImage(source, { analyzers: ALL_ANALYZERS });
        const inv = buildInventory(res.outputs.values());
        assert.deepEqual(inv.packages.map((p) => `${p.ecosystem} ${p.name} ${p.version}`), ['Debian:12 python3-requests 2.28.1+dfsg-1', 'PyPI requests 2.31.0']);
        assert.match(inv.warnings.join('\n'), /language packages installed by the OS package manager: 1 reported as part of their OS package: requests 2\.28\.1 \(python3-requests\)/);
      } finally {
        await source.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('host Debian database through a dir: source', () => {
  test('packages equal dpkg-query, every package owns its .list files, ecosystem from /etc/os-release', async (t) => {
    const { existsSync, mkdirSync, copyFileSync, readdirSync } = await import('node:fs');
    const { execFileSync } = await import('node:child_process');
    if (!existsSync('/var/lib/dpkg/status') || !existsSync('/etc/os-release')) { t.skip('not a dpkg host'); return; }
    const root = mkdtempSync(path.join(os.tmpdir(), 'pw-host-rootfs-'));
    try {
      mkdirSync(path.join(root, 'etc'));
      mkdirSync(path.join(root, 'var/lib/dpkg/info'), { recursive: true });
      copyFileSync('/etc/os-release', path.join(root, 'etc/os-release'));
      if (existsSync('/etc/debian_version')) copyFileSync('/etc/debian_version', path.join(root, 'etc/debian_version'));
      copyFileSync('/var/lib/dpkg/status', path.join(root, 'var/lib/dpkg/status'));
      for (const f of readdirSync('/var/lib/dpkg/info')) if (f.endsWith('.list')) copyFileSync(path.join('/var/lib/dpkg/info', f), path.join(root, 'var/lib/dpkg/info', f));
      mkdirSync(path.join(root, 'var/lib/dpkg/updates'));

      const source = await openSource(`dir:${root}`);
      let inv: Inventory;
      try {
        const res = await walkImage(source, { analyzers: OS_ANALYZERS });
        inv = buildInventory(res.outputs.values());
      } finally {
        await source.close();
      }
      const oracle = execFileSync('dpkg-query', [`--admindir=${path.join(root, 'var/lib/dpkg')}`, '-W', '-f', '${Package}\t${Version}\t${Architecture}\t${db:Status-Status}\n'], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n').filter(Boolean).map((l) => l.split('\t')).filter((f) => ['installed', 'triggers-pending', 'triggers-awaited'].includes(f[3] ?? ''))
        .map((f) => f.slice(0, 3).join('\t')).sort();
      assert.deepEqual(inv.packages.map((p) => [p.name, p.version, p.arch].join('\t')).sort(), oracle);
      const id = /^ID=(.*)$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1]?.replace(/"/g, '');
      if (id === 'debian') assert.match(inv.os?.ecosystem ?? '', /^Debian:\d+$/);
      assert.ok(inv.packages.every((p) => p.ecosystem === inv.os?.ecosystem));
      // dpkg keeps a .list for every unpacked package; multi-arch ones under name:arch.
      const missing = inv.packages.filter((p) => !p.files || p.files.length === 0).map((p) => p.name);
      assert.deepEqual(missing, []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('debootstrap rootfs (built once per machine, shared with other suites)', () => {
  test('whole rootfs through dir: equals dpkg-query; Debian:12; licenses found', async (t) => {
    const { execFileSync } = await import('node:child_process');
    if (!requireOrSkip(t, debootstrapAvailable(), 'debootstrap (as root)')) return;
    const root = ensureDebianRootfs();
    const source = await openSource(`dir:${root}`);
    let inv: Inventory;
    try {
      inv = buildInventory((await walkImage(source, { analyzers: OS_ANALYZERS })).outputs.values());
    } finally {
      await source.close();
    }
    const oracle = execFileSync('dpkg-query', [`--admindir=${path.join(root, 'var/lib/dpkg')}`, '-W', '-f', '${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\t${db:Status-Status}\n'], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n').filter(Boolean).map((l) => l.split('\t')).filter((f) => f[5] === 'installed').map((f) => f.slice(0, 5).join('\t')).sort();
    assert.deepEqual(inv.packages.map((p) => [p.name, p.version, p.arch, p.source?.name, p.source?.version].join('\t')).sort(), oracle);
    assert.equal(inv.os?.ecosystem, 'Debian:12');
    assert.ok(inv.packages.filter((p) => p.licenses?.length).length > inv.packages.length / 2);
  });
});
