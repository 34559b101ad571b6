import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { buildInventory, OS_OWNED_NOTE_PREFIX } from '../../src/analyzers/inventory.ts';
import { packageUrl } from '../../src/analyzers/purl.ts';
import { dpkgAnalyzer } from '../../src/analyzers/os/dpkg.ts';
import { osReleaseAnalyzer } from '../../src/analyzers/os/os-release.ts';
import { rpmAnalyzer } from '../../src/analyzers/os/rpm/index.ts';
import type { AnalyzerOutput } from '../../src/analyzers/types.ts';
import type { OSInfo, Package, PackageType } from '../../src/model/inventory.ts';
import { haveSharedData, sharedData } from '../helpers/shared-data.ts';
import { runAnalyzer } from './os/helpers.ts';

const DEBIAN12: OSInfo = { family: 'debian', version: '12.5', name: 'Debian GNU/Linux 12 (bookworm)', codename: 'bookworm', ecosystem: 'Debian:12' };

function pkg(type: PackageType, name: string, version: string, path: string, extra: Partial<Package> = {}): Package {
  return { name, version, type, ecosystem: '', purl: '', locations: [{ layer: 'sha256:a', path }], ...extra };
}

describe('purls', () => {
  test('OS packages', () => {
    assert.equal(packageUrl(pkg('deb', 'openssl', '3.0.11-1~deb12u2', 'var/lib/dpkg/status', { arch: 'amd64', source: { name: 'openssl', version: '3.0.11-1~deb12u2' } }), DEBIAN12),
      'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12');
    assert.equal(packageUrl(pkg('deb', 'libc6', '2.36-9+deb12u4', 's', { arch: 'amd64', source: { name: 'glibc', version: '2.36-9+deb12u4' } }), DEBIAN12),
      'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12&upstream=glibc');
    assert.equal(packageUrl(pkg('deb', 'libgcc-s1', '12.2.0-14', 's', { arch: 'amd64', source: { name: 'gcc-12', version: '12.2.0-14' } }),
      { family: 'ubuntu', version: '22.04', name: 'Ubuntu 22.04', ecosystem: 'Ubuntu:22.04:LTS' }),
    'pkg:deb/ubuntu/libgcc-s1@12.2.0-14?arch=amd64&distro=ubuntu-22.04&upstream=gcc-12');
    assert.equal(packageUrl(pkg('deb', 'libgcc1', '1:5.1.1-12ubuntu1', 's', { source: { name: 'gcc-5', version: '5.1.1-12ubuntu1' } })),
      'pkg:deb/debian/libgcc1@1:5.1.1-12ubuntu1?upstream=gcc-5%405.1.1-12ubuntu1');
    assert.equal(packageUrl(pkg('apk', 'libssl3', '3.1.4-r5', 'lib/apk/db/installed', { arch: 'x86_64', source: { name: 'openssl', version: '3.1.4-r5' } }),
      { family: 'alpine', version: '3.19.1', name: 'Alpine Linux v3.19', ecosystem: 'Alpine:v3.19' }),
    'pkg:apk/alpine/libssl3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl');
    assert.equal(packageUrl(pkg('rpm', 'openssl-libs', '1:3.0.7-24.el9', 'var/lib/rpm/rpmdb.sqlite', { arch: 'x86_64', epoch: 1, metadata: { sourceRpm: 'openssl-3.0.7-24.el9.src.rpm' } }),
      { family: 'redhat', version: '9.3', name: 'RHEL 9.3', ecosystem: 'Red Hat:9' }),
    'pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=rhel-9.3&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm');
  });

  test('language packages', () => {
    const cases: Array<[PackageType, string, string, string]> = [
      ['npm', '@scope/name', '1.0.0', 'pkg:npm/%40scope/name@1.0.0'],
      ['npm', 'lodash', '4.17.21', 'pkg:npm/lodash@4.17.21'],
      ['python', 'Foo_Bar.baz', '1.0', 'pkg:pypi/foo-bar-baz@1.0'],
      ['go-module', 'github.com/foo/bar/v2', 'v2.1.0', 'pkg:golang/github.com/foo/bar/v2@v2.1.0'],
      ['go-module', 'golang.org/x/net', 'v0.17.0', 'pkg:golang/golang.org/x/net@v0.17.0'],
      ['go-stdlib', 'stdlib', '1.21.0', 'pkg:golang/stdlib@1.21.0'],
      ['maven', 'org.apache.logging.log4j:log4j-core', '2.14.1', 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1'],
      ['gem', 'rails', '7.0.0', 'pkg:gem/rails@7.0.0'],
      ['cargo', 'serde', '1.0.0', 'pkg:cargo/serde@1.0.0'],
      ['composer', 'laravel/framework', '10.0.0', 'pkg:composer/laravel/framework@10.0.0'],
      ['nuget', 'Newtonsoft.Json', '13.0.1', 'pkg:nuget/Newtonsoft.Json@13.0.1'],
    ];
    for (const [type, name, version, want] of cases) {
      assert.equal(packageUrl(pkg(type, name, version, 'x')), want, `${type} ${name}`);
    }
    assert.equal(packageUrl(pkg('npm', '@scope/name', '1.0.0', 'x')), 'pkg:npm/%40scope/name@1.0.0');
    assert.equal(packageUrl(pkg('npm', '', '1.0.0', 'x')), '', 'invalid input gives an empty purl, not an exception');
  });
});

describe('buildInventory', () => {
  test('stamps OS ecosystem, fills purls, keeps language ecosystems, sorts deterministically', () => {
    const outputs: AnalyzerOutput[] = [
      { packages: [pkg('npm', 'zeta', '1.0.0', 'app/node_modules/zeta/package.json', { ecosystem: 'npm' }), pkg('python', 'attrs', '23.1.0', 'usr/local/lib/python3.11/site-packages/attrs-23.1.0.dist-info/METADATA')] },
      { os: DEBIAN12, warnings: ['w1'] },
      { packages: [pkg('deb', 'zlib1g', '1:1.2.13.dfsg-1', 'var/lib/dpkg/status', { arch: 'amd64', source: { name: 'zlib', version: '1:1.2.13.dfsg-1' } }), pkg('deb', 'bash', '5.2.15-2+b2', 'var/lib/dpkg/status', { arch: 'amd64', source: { name: 'bash', version: '5.2.15-2' } })] },
    ];
    const inv = buildInventory(outputs);
    assert.deepEqual(inv.os, DEBIAN12);
    assert.deepEqual(inv.packages.map((p) => [p.ecosystem, p.name]), [['Debian:12', 'bash'], ['Debian:12', 'zlib1g'], ['PyPI', 'attrs'], ['npm', 'zeta']]);
    assert.equal(inv.packages[1]?.purl, 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib');
    assert.equal(inv.packages[0]?.purl, 'pkg:deb/debian/bash@5.2.15-2+b2?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2');
    assert.equal(inv.packages[2]?.purl, 'pkg:pypi/attrs@23.1.0');
    assert.deepEqual(inv.warnings, ['w1']);
    // Same result whatever order the analyzers report in.
    fc.assert(fc.property(fc.shuffledSubarray(outputs, { minLength: outputs.length }), (shuffled) => {
      assert.deepEqual(buildInventory(shuffled), inv);
    }), { numRuns: 20 });
  });

  test('unknown release: bare family ecosystem plus a warning; no OS at all: a warning', () => {
    const inv = buildInventory([{ os: { family: 'debian', version: '', name: 'Debian GNU/Linux sid' } }, { packages: [pkg('deb', 'a', '1', 's')] }]);
    assert.equal(inv.packages[0]?.ecosystem, 'Debian');
    assert.match(inv.warnings.join('\n'), /no OSV ecosystem/);
    const none = buildInventory([{ packages: [pkg('apk', 'a', '1-r0', 'lib/apk/db/installed')] }]);
    assert.equal(none.os, undefined);
    assert.match(none.warnings.join('\n'), /no distribution release file/);
  });

  test('identical packages at several locations are merged', () => {
    const inv = buildInventory([{ packages: [
      pkg('npm', 'lodash', '4.17.21', 'a/node_modules/lodash/package.json'),
      pkg('npm', 'lodash', '4.17.21', 'b/node_modules/lodash/package.json'),
      pkg('npm', 'lodash', '4.17.21', 'a/node_modules/lodash/package.json'),
      pkg('npm', 'lodash', '4.17.20', 'c/node_modules/lodash/package.json'),
    ] }]);
    assert.deepEqual(inv.packages.map((p) => [p.version, p.locations.map((l) => l.path)]), [
      ['4.17.20', ['c/node_modules/lodash/package.json']],
      ['4.17.21', ['a/node_modules/lodash/package.json', 'b/node_modules/lodash/package.json']],
    ]);
  });

  test('language packages installed by an OS package are reported once, as the OS package', () => {
    const inv = buildInventory([
      { os: DEBIAN12 },
      { packages: [pkg('deb', 'python3-requests', '2.28.1+dfsg-1', 'var/lib/dpkg/status', { files: ['/usr/lib/python3/dist-packages/requests', 'usr/lib/python3/dist-packages/requests-2.28.1.egg-info'] })] },
      { packages: [
        pkg('python', 'requests', '2.28.1', 'usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO'),
        pkg('python', 'requests', '2.31.0', 'usr/local/lib/python3.11/dist-packages/requests-2.31.0.dist-info/METADATA'),
      ] },
    ]);
    assert.deepEqual(inv.packages.map((p) => `${p.type}:${p.name}@${p.version}`), ['deb:python3-requests@2.28.1+dfsg-1', 'python:requests@2.31.0']);
    const note = inv.warnings.find((w) => w.startsWith(OS_OWNED_NOTE_PREFIX));
    assert.equal(note, `${OS_OWNED_NOTE_PREFIX}: 1 reported as part of their OS package: requests 2.28.1 (python3-requests)`);
  });

  test('real analyzers end to end: Ubuntu status + os-release, CBL-Mariner rpmdb', async (t) => {
    if (!haveSharedData(t, 'pkgdb-fixtures/dpkg/trivy-ubuntu1804-status')) return;
    const status = readFileSync(sharedData('pkgdb-fixtures/dpkg/trivy-ubuntu1804-status/input/var/lib/dpkg/status'));
    const deb = await runAnalyzer(dpkgAnalyzer, new Map([['var/lib/dpkg/status', status]]));
    const os = await runAnalyzer(osReleaseAnalyzer, new Map([['etc/os-release', Buffer.from('NAME="Ubuntu"\nVERSION="18.04.1 LTS (Bionic Beaver)"\nID=ubuntu\nVERSION_ID="18.04"\n')]]));
    const inv = buildInventory([deb, os]);
    assert.equal(inv.packages.length, 90);
    assert.ok(inv.packages.every((p) => p.ecosystem === 'Ubuntu:18.04:LTS' && p.purl.startsWith('pkg:deb/ubuntu/') && p.purl.includes('distro=ubuntu-18.04')));
    const bsdutils = inv.packages.find((p) => p.name === 'bsdutils');
    assert.equal(bsdutils?.purl, 'pkg:deb/ubuntu/bsdutils@1:2.31.1-0.4ubuntu3.1?arch=amd64&distro=ubuntu-18.04&upstream=util-linux%402.31.1-0.4ubuntu3.1');

    const rpmOut = await runAnalyzer(rpmAnalyzer, new Map([['var/lib/rpm/rpmdb.sqlite', readFileSync(sharedData('pkgdb-fixtures/rpm/go-rpmdb-cbl-mariner2-sqlite/input/var/lib/rpm/rpmdb.sqlite'))]]));
    const mos = await runAnalyzer(osReleaseAnalyzer, new Map([['etc/os-release', Buffer.from('NAME="Common Base Linux Mariner"\nVERSION="2.0.20220226"\nID=mariner\nVERSION_ID=2.0\n')]]));
    const minv = buildInventory([rpmOut, mos]);
    assert.equal(minv.packages.length, 129);
    const curl = minv.packages.find((p) => p.name === 'curl');
    assert.equal(curl?.ecosystem, 'Mariner:2');
    assert.equal(curl?.purl, 'pkg:rpm/mariner/curl@7.76.0-6.cm2?arch=x86_64&distro=mariner-2.0&upstream=curl-7.76.0-6.cm2.src.rpm');
  });
});
