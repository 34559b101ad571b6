import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openAdvisoryIndex, matchPackages, explainMatch } from '../../src/matcher/index.ts';
import type { AdvisoryIndex } from '../../src/matcher/index.ts';
import type { OSInfo, Package } from '../../src/model/inventory.ts';
import type { Vulnerability } from '../../src/model/report.ts';
import { importAdvisories } from '../../src/vulndb/import.ts';
import { evaluateAffected } from '../../src/matcher/ranges.ts';
import { getScheme } from '../../src/versions/index.ts';
import { haveSharedData, sharedData } from '../helpers/shared-data.ts';
import { importStaged, osvRecord, pkg, tempDir } from '../vulndb/helpers.ts';

const debian11: OSInfo = { family: 'debian', version: '11', name: 'Debian GNU/Linux 11 (bullseye)', ecosystem: 'Debian:11' };
const deb = (name: string, version: string, source?: string, sourceVersion?: string): Package =>
  pkg({ name, version, type: 'deb', ecosystem: 'Debian:11', ...(source ? { source: { name: source, version: sourceVersion ?? version } } : {}) });

function ids(vulns: Vulnerability[], packageName?: string): string[] {
  return vulns.filter((v) => !packageName || v.package_name === packageName).map((v) => v.id).sort();
}

describe('distro-aware matching on synthetic feeds', () => {
  const tmp = tempDir();
  let index: AdvisoryIndex;
  before(async () => {
    const dir = path.join(tmp.dir, 'feeds');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'DSA.list'),
      [
        '[01 Feb 2023] DSA-9001-1 openssl - security update',
        '\t{CVE-2023-0001 CVE-2023-0002}',
        '\t[bullseye] - openssl 1.1.1n-0+deb11u4',
        '\t[bookworm] - openssl <not-affected> (vulnerable code not present)',
        '[02 Feb 2023] DSA-9002-1 tzdata - security update',
        '\t{CVE-2023-0003}',
        '\t[bullseye] - tzdata 1:2.3-4',
        '[03 Feb 2023] DSA-9003-1 oldpkg - security update',
        '\t{CVE-2023-0004}',
        '\t[bullseye] - oldpkg <end-of-life>',
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(dir, 'tracker.json'),
      JSON.stringify({
        openssl: {
          'CVE-2023-0001': { description: 'openssl bug', releases: { bullseye: { status: 'resolved', fixed_version: '1.1.1n-0+deb11u4', urgency: 'high' }, bookworm: { status: 'resolved', fixed_version: '0', urgency: 'high' } } },
          'CVE-2023-0005': { releases: { bullseye: { status: 'open', urgency: 'low', nodsa: 'Minor issue', nodsa_reason: 'ignored' } } },
          'CVE-2023-0006': { releases: { bullseye: { status: 'open', urgency: 'unimportant' } } },
        },
      }),
    );
    await importAdvisories([dir], { dbPath: path.join(tmp.dir, 'a.db'), replace: true });
    index = openAdvisoryIndex(path.join(tmp.dir, 'a.db'));
  });
  after(() => {
    index?.close();
    tmp.cleanup();
  });

  test('binary libssl1.1 matches through its source package openssl, each CVE of the DSA a finding', () => {
    const { vulnerabilities } = matchPackages([deb('libssl1.1', '1.1.1n-0+deb11u3', 'openssl')], debian11, index);
    assert.deepEqual(ids(vulnerabilities), ['CVE-2023-0001', 'CVE-2023-0002', 'CVE-2023-0005', 'CVE-2023-0006']);
    const first = vulnerabilities.find((v) => v.id === 'CVE-2023-0001');
    assert.equal(first?.package_name, 'libssl1.1');
    assert.equal(first?.fixed_version, '1.1.1n-0+deb11u4');
    assert.equal(first?.status, 'fixed');
    assert.deepEqual(first?.aliases, ['DEBIAN-CVE-2023-0001', 'DSA-9001-1']);
    assert.equal(first?.severity, 'HIGH', 'Debian urgency chosen for a Debian package');
    assert.equal(first?.severity_source, 'debian');
    assert.equal(first?.evidence?.[0]?.via, 'source');
    assert.ok(!vulnerabilities.find((v) => v.id === 'CVE-2023-0002')?.aliases.includes('CVE-2023-0001'), 'split DSA does not alias its other CVEs');
    assert.equal(vulnerabilities.find((v) => v.id === 'CVE-2023-0005')?.status, 'will_not_fix');
    assert.equal(vulnerabilities.find((v) => v.id === 'CVE-2023-0006')?.status, 'affected');
    assert.equal(vulnerabilities.find((v) => v.id === 'CVE-2023-0006')?.severity, 'LOW');
  });

  test('the fixed version and a later backport are not reported', () => {
    for (const version of ['1.1.1n-0+deb11u4', '1.1.1n-0+deb11u5', '1.1.1o-1']) {
      const { vulnerabilities } = matchPackages([deb('libssl1.1', version, 'openssl')], debian11, index);
      assert.deepEqual(ids(vulnerabilities), ['CVE-2023-0005', 'CVE-2023-0006'], version);
    }
  });

  test('the source version decides, not the binary version (binNMU +b1)', () => {
    const { vulnerabilities } = matchPackages([deb('libssl1.1', '1.1.1n-0+deb11u4+b1', 'openssl', '1.1.1n-0+deb11u3')], debian11, index);
    assert.ok(ids(vulnerabilities).includes('CVE-2023-0001'));
    assert.equal(vulnerabilities[0]?.installed_version, '1.1.1n-0+deb11u4+b1');
  });

  test('epochs: 2.9-1 (epoch 0) is below 1:2.3-4, 1:2.3-4 is the fix', () => {
    assert.deepEqual(ids(matchPackages([deb('tzdata', '2.9-1')], debian11, index).vulnerabilities), ['CVE-2023-0003']);
    assert.deepEqual(ids(matchPackages([deb('tzdata', '1:2.3-4')], debian11, index).vulnerabilities), []);
    assert.deepEqual(ids(matchPackages([deb('tzdata', '1:2.3-3')], debian11, index).vulnerabilities), ['CVE-2023-0003']);
  });

  test('<not-affected> and tracker "0" never produce findings; other releases never judge this one', () => {
    const bookworm = { ...debian11, version: '12', ecosystem: 'Debian:12' };
    const p = pkg({ name: 'libssl3', version: '3.0.0-1', type: 'deb', ecosystem: 'Debian:12', source: { name: 'openssl', version: '3.0.0-1' } });
    assert.deepEqual(matchPackages([p], bookworm, index).vulnerabilities, []);
    const buster = pkg({ name: 'libssl1.1', version: '1.1.0-1', type: 'deb', ecosystem: 'Debian:10', source: { name: 'openssl', version: '1.1.0-1' } });
    assert.deepEqual(matchPackages([buster], undefined, index).vulnerabilities, []);
  });

  test('end-of-life without a fix is will_not_fix', () => {
    const [v] = matchPackages([deb('oldpkg', '1.0-1')], debian11, index).vulnerabilities;
    assert.equal(v?.status, 'will_not_fix');
    assert.equal(v?.fixed_version, null);
  });

  test('an OS package without an ecosystem takes the detected OS release', () => {
    const p = pkg({ name: 'libssl1.1', version: '1.1.1n-0+deb11u3', type: 'deb', source: { name: 'openssl', version: '1.1.1n-0+deb11u3' } });
    assert.ok(ids(matchPackages([p], debian11, index).vulnerabilities).includes('CVE-2023-0001'));
  });

  test('explainMatch shows every entry naming the id, with its comparisons', () => {
    const e = explainMatch(deb('libssl1.1', '1.1.1n-0+deb11u4', 'openssl'), debian11, index, 'CVE-2023-0001');
    assert.equal(e.query?.name, 'openssl');
    assert.deepEqual(e.candidates.map((c) => c.advisory).sort(), ['DEBIAN-CVE-2023-0001', 'DSA-9001-1']);
    for (const c of e.candidates) {
      assert.equal(c.affected, false);
      assert.equal(c.status, 'not_affected');
      assert.ok(c.evidence.comparisons.some((s) => s.includes('1.1.1n-0+deb11u4 = 1.1.1n-0+deb11u4 (fixed, dpkg)')), c.evidence.comparisons.join('\n'));
    }
  });
});

describe('language ecosystems and alias grouping', () => {
  const tmp = tempDir();
  let index: AdvisoryIndex;
  before(async () => {
    const dir = path.join(tmp.dir, 'osv');
    mkdirSync(dir, { recursive: true });
    const w = (r: Record<string, unknown>) => writeFileSync(path.join(dir, `${String(r.id)}.json`), JSON.stringify(r));
    w(osvRecord('GHSA-xxxx-yyyy-zzzz', 'PyPI', 'Foo-Bar', [{ introduced: '0' }, { fixed: '2.0' }], {
      aliases: ['CVE-2024-1111', 'PYSEC-2024-1'],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }],
      database_specific: { severity: 'MODERATE' },
      summary: 'Foo leaks',
      references: [{ type: 'WEB', url: 'https://example.test/a' }],
    }));
    w(osvRecord('PYSEC-2024-1', 'PyPI', 'foo_bar', [{ introduced: '0' }, { fixed: '2.0' }], { aliases: ['GHSA-xxxx-yyyy-zzzz'], references: [{ type: 'WEB', url: 'https://example.test/b' }] }));
    w(osvRecord('PYSEC-2024-2', 'PyPI', 'foo-bar', [{ introduced: '1.0' }, { last_affected: '1.5' }], { database_specific: { severity: 'LOW' } }));
    w(osvRecord('GO-2024-0001', 'Go', 'stdlib', [{ introduced: '0' }, { fixed: '1.21.9' }, { introduced: '1.22.0-0' }, { fixed: '1.22.2' }], {
      aliases: ['CVE-2024-2222'],
      affected: [{ package: { ecosystem: 'Go', name: 'stdlib' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.21.9' }, { introduced: '1.22.0-0' }, { fixed: '1.22.2' }] }], ecosystem_specific: { imports: [{ path: 'net/http', symbols: ['Serve'] }] } }],
    }));
    w(osvRecord('GO-2024-0002', 'Go', 'github.com/x/y', [{ introduced: '0' }, { fixed: '0.3.7' }], {
      affected: [{ package: { ecosystem: 'Go', name: 'github.com/x/y' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.3.7' }] }] }],
    }));
    w(osvRecord('RUSTSEC-2024-0001', 'crates.io', 'gone', [{ introduced: '0' }], { withdrawn: '2024-02-01T00:00:00Z' }));
    w(osvRecord('GHSA-v4v4-v4v4-v4v4', 'npm', 'v4pkg', [{ introduced: '0' }, { fixed: '1.0.0' }], {
      severity: [
        { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N' },
        { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
      ],
    }));
    await importAdvisories([dir], { dbPath: path.join(tmp.dir, 'b.db'), replace: true });
    index = openAdvisoryIndex(path.join(tmp.dir, 'b.db'));
  });
  after(() => {
    index?.close();
    tmp.cleanup();
  });

  test('GHSA and PYSEC for one CVE are one finding; PEP 503 names; references merged', () => {
    const { vulnerabilities } = matchPackages([pkg({ name: 'foo.BAR', version: '1.2', ecosystem: 'PyPI', type: 'python' })], undefined, index);
    assert.deepEqual(ids(vulnerabilities), ['CVE-2024-1111', 'PYSEC-2024-2']);
    const v = vulnerabilities.find((x) => x.id === 'CVE-2024-1111');
    assert.deepEqual(v?.aliases, ['GHSA-xxxx-yyyy-zzzz', 'PYSEC-2024-1']);
    assert.equal(v?.cve_id, 'CVE-2024-1111');
    assert.deepEqual(v?.references.sort(), ['https://example.test/a', 'https://example.test/b']);
    assert.equal(v?.severity, 'HIGH', 'CVSS 7.5 beats the database MODERATE');
    assert.equal(v?.severity_source, 'cvss-v3.1:ghsa');
    assert.equal(v?.vendor_severity?.ghsa, 'MODERATE');
    assert.equal(v?.evidence?.length, 2);
    const last = vulnerabilities.find((x) => x.id === 'PYSEC-2024-2');
    assert.equal(last?.fixed_version, null);
    assert.equal(last?.status, 'affected');
    assert.equal(last?.severity, 'LOW');
    assert.equal(last?.cve_id, 'PYSEC-2024-2');
  });

  test('the highest CVSS version decides (v4.0 over v3.1)', () => {
    const [v] = matchPackages([pkg({ name: 'v4pkg', version: '0.1.0', ecosystem: 'npm' })], undefined, index).vulnerabilities;
    assert.equal(v?.severity, 'CRITICAL');
    assert.equal(v?.severity_source, 'cvss-v4.0:ghsa');
    assert.equal(v?.cvss?.length, 2);
  });

  test('Go stdlib from a binary: go1.21.8, v1.22.1 and 1.22.2 spellings', () => {
    const stdlib = (version: string) => pkg({ name: 'stdlib', version, ecosystem: 'Go', type: 'go-stdlib' });
    const r = matchPackages([stdlib('go1.21.8'), stdlib('v1.22.1'), stdlib('1.22.2'), stdlib('go1.21.9')], undefined, index);
    assert.deepEqual(r.vulnerabilities.map((v) => [v.installed_version, v.fixed_version]), [['go1.21.8', '1.21.9'], ['v1.22.1', '1.22.2']]);
  });

  test('Go modules with v-prefixed versions and +incompatible', () => {
    const r = matchPackages([pkg({ name: 'github.com/x/y', version: 'v0.3.6', ecosystem: 'Go', type: 'go-module' })], undefined, index);
    assert.deepEqual(ids(r.vulnerabilities), ['GO-2024-0002']);
    assert.deepEqual(ids(matchPackages([pkg({ name: 'github.com/x/y', version: 'v0.3.7', ecosystem: 'Go', type: 'go-module' })], undefined, index).vulnerabilities), []);
  });

  test('RHEL: per-repository OSV ecosystems meet an image\'s Red Hat:N; CentOS is judged by RHEL data', async () => {
    const dir = path.join(tmp.dir, 'rhel');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'RHSA-2024-0001.json'), JSON.stringify(osvRecord('RHSA-2024:0001', 'Red Hat:enterprise_linux:7::server', 'openssl-libs', [{ introduced: '0' }, { fixed: '1:1.0.2k-26.el7_9' }], { aliases: ['CVE-2024-3333'] })));
    writeFileSync(path.join(dir, 'RHSA-2024-0002.json'), JSON.stringify(osvRecord('RHSA-2024:0002', 'Red Hat:rhel_eus:7.7::server', 'openssl-libs', [{ introduced: '0' }, { fixed: '1:1.0.2k-30.el7_7' }], { aliases: ['CVE-2024-4444'] })));
    const dbFile = path.join(tmp.dir, 'rhel.db');
    await importAdvisories([dir], { dbPath: dbFile, replace: true });
    const rhelIndex = openAdvisoryIndex(dbFile);
    try {
      const p = (eco: string) => pkg({ name: 'openssl-libs', version: '1:1.0.2k-25.el7_9', type: 'rpm', ecosystem: eco, source: { name: 'openssl', version: '1:1.0.2k-25.el7_9' } });
      assert.deepEqual(ids(matchPackages([p('Red Hat:7')], undefined, rhelIndex).vulnerabilities), ['CVE-2024-3333'], 'EUS stream data does not judge a plain RHEL image');
      assert.deepEqual(ids(matchPackages([p('CentOS:7')], undefined, rhelIndex).vulnerabilities), ['CVE-2024-3333']);
      assert.deepEqual(ids(matchPackages([p('Rocky Linux:7')], undefined, rhelIndex).vulnerabilities), []);
    } finally {
      rhelIndex.close();
    }
  });

  test('withdrawn records never match', () => {
    assert.deepEqual(matchPackages([pkg({ name: 'gone', version: '0.1.0', ecosystem: 'crates.io', type: 'cargo' })], undefined, index).vulnerabilities, []);
  });

  test('an unknown ecosystem matches with the generic scheme and low confidence, with a warning', () => {
    const r = matchPackages([pkg({ name: 'Foo-Bar', version: '1.0', ecosystem: 'PyPI', type: 'python' })], undefined, index, {
      schemeFor: () => ({ scheme: getScheme('generic'), confidence: 'low' }),
    });
    assert.ok(r.vulnerabilities.length > 0);
    assert.ok(r.vulnerabilities.every((v) => v.evidence?.every((e) => e.confidence === 'low')));
    assert.ok(r.warnings.some((w) => /generic version scheme/.test(w)));
  });
});

describe('real staged data', () => {
  const tmp = tempDir();
  let index: AdvisoryIndex | undefined;
  before(async () => {
    if (!(await import('node:fs')).existsSync(sharedData('osv'))) return;
    const s = await importStaged(tmp.dir);
    index = openAdvisoryIndex(s.path);
  });
  after(() => {
    index?.close();
    tmp.cleanup();
  });

  test('Alpine secdb: origin package and branch decide; the fixed version and later are clean', (t) => {
    if (!haveSharedData(t, 'distro') || !index) return;
    const apk = (name: string, version: string, branch: string) => pkg({ name, version, type: 'apk', ecosystem: `Alpine:${branch}`, source: { name: 'openssl', version } });
    const r = matchPackages([apk('libcrypto1.1', '1.1.1c-r0', 'v3.10'), apk('libssl1.1', '1.1.1d-r2', 'v3.10')], undefined, index);
    const found = r.vulnerabilities.filter((v) => v.package_name === 'libcrypto1.1');
    assert.ok(found.some((v) => v.id === 'CVE-2019-1549' && v.fixed_version === '1.1.1d-r0'));
    assert.ok(found.some((v) => v.id === 'CVE-2019-1563' && v.fixed_version === '1.1.1d-r0'));
    assert.ok(!r.vulnerabilities.some((v) => v.package_name === 'libssl1.1' && ['CVE-2019-1547', 'CVE-2019-1549', 'CVE-2019-1563'].includes(v.id)));
    // v3.3 data does not judge a v3.10 package.
    for (const v of found) assert.ok(v.evidence?.every((e) => e.ecosystem === 'Alpine:v3.10'));
  });

  test('Ubuntu OSV: source package in its release; Pro (ESM) records stay out of a plain image', (t) => {
    if (!haveSharedData(t, 'distro', 'ubuntu-osv') || !index) return;
    const u = (version: string, eco = 'Ubuntu:18.04') => pkg({ name: 'libwayland-client0', version, type: 'deb', ecosystem: eco, source: { name: 'wayland', version } });
    const before = matchPackages([u('1.16.0-1ubuntu1.1~18.04.3')], undefined, index).vulnerabilities;
    const v = before.find((x) => x.id === 'CVE-2021-3782');
    assert.ok(v, ids(before).join(','));
    assert.equal(v.fixed_version, '1.16.0-1ubuntu1.1~18.04.4');
    assert.ok(v.aliases.includes('UBUNTU-CVE-2021-3782') && v.aliases.includes('USN-5614-1'), v.aliases.join(','));
    assert.equal(before.filter((x) => x.id === 'USN-5614-1').length, 0, 'the USN joins the CVE finding through its upstream id');
    assert.equal(v.severity, 'MEDIUM');
    assert.equal(v.severity_source, 'ubuntu');
    assert.ok(!matchPackages([u('1.16.0-1ubuntu1.1~18.04.4')], undefined, index).vulnerabilities.some((x) => x.id === 'CVE-2021-3782'));
    // 16.04 images only have Pro records for wayland here: nothing applies without Pro.
    assert.ok(!matchPackages([u('1.12.0-1~ubuntu16.04.3', 'Ubuntu:16.04')], undefined, index).vulnerabilities.some((x) => x.id === 'CVE-2021-3782'));
  });

  test('rpm distros: AlmaLinux OSV names binary RPMs; modular and epoch-bearing versions', (t) => {
    if (!haveSharedData(t, 'osv', 'samples', 'grype-osv-transformer') || !index) return;
    const rpm = (name: string, version: string, eco: string, source?: string) =>
      pkg({ name, version, type: 'rpm', ecosystem: eco, ...(source ? { source: { name: source, version } } : {}) });
    const r = matchPackages([
      rpm('libsndfile-devel', '1.0.28-8.el8', 'AlmaLinux:8', 'libsndfile'),
      rpm('libsndfile-devel', '1.0.28-10.el8', 'AlmaLinux:8', 'libsndfile'),
      rpm('skopeo', '2:1.16.0-1.el10', 'AlmaLinux:10', 'skopeo'),
      rpm('skopeo', '1:9.0-1.el10', 'AlmaLinux:10', 'skopeo'),
    ], undefined, index);
    assert.deepEqual(r.vulnerabilities.map((v) => [v.package_name, v.installed_version, v.fixed_version]), [
      ['libsndfile-devel', '1.0.28-8.el8', '1.0.28-10.el8'],
      ['skopeo', '1:9.0-1.el10', '2:1.18.1-1.el10_0'],
      ['skopeo', '2:1.16.0-1.el10', '2:1.18.1-1.el10_0'],
    ]);
    assert.equal(r.vulnerabilities[0]?.evidence?.[0]?.via, 'binary');
  });

  test('Debian DSA list: xorg-server in bullseye before and at the fix', (t) => {
    if (!haveSharedData(t, 'distro') || !index) return;
    assert.ok(ids(matchPackages([deb('xserver-xorg-core', '2:1.20.11-1+deb11u5', 'xorg-server')], debian11, index).vulnerabilities).includes('CVE-2023-1393'));
    assert.ok(!ids(matchPackages([deb('xserver-xorg-core', '2:1.20.11-1+deb11u6', 'xorg-server')], debian11, index).vulnerabilities).includes('CVE-2023-1393'));
  });

  test('PyPI oracle: versions osv.dev lists evaluate as affected by the ECOSYSTEM ranges (149 known exceptions)', (t) => {
    if (!haveSharedData(t, 'osv', 'pypi-pypa.osv.jsonl.gz')) return;
    const lines = gunzipSync(readFileSync(sharedData('osv', 'pypi-pypa.osv.jsonl.gz'))).toString('utf8').split('\n').filter(Boolean);
    const schemes = { ecosystem: getScheme('pep440'), semver: getScheme('semver') };
    let checked = 0;
    let misses = 0;
    for (const line of lines) {
      const r = JSON.parse(line) as { affected?: { ranges?: { type: string; events: Record<string, string>[] }[]; versions?: string[] }[] };
      for (const a of r.affected ?? []) {
        const ranges = (a.ranges ?? []).filter((x) => x.type === 'ECOSYSTEM');
        if (!ranges.length) continue;
        for (const v of a.versions ?? []) {
          checked++;
          if (!evaluateAffected(v, { ranges }, schemes).affected) misses++;
        }
      }
    }
    assert.ok(checked > 140000, String(checked));
    assert.ok(misses <= 149, `${misses} listed versions not affected by the ranges`);
  });

  test('trivy integration goldens: every expected finding we have data for is found; nothing absurd', (t) => {
    if (!haveSharedData(t, 'trivy-integration', 'goldens') || !index) return;
    const typeToEcosystem: Record<string, string> = {
      bun: 'npm', npm: 'npm', pnpm: 'npm', yarn: 'npm', composer: 'Packagist', 'composer-vendor': 'Packagist',
      'dotnet-core': 'NuGet', nuget: 'NuGet', 'packages-props': 'NuGet', gomod: 'Go', gradle: 'Maven', pom: 'Maven', sbt: 'Maven',
      pip: 'PyPI', pipenv: 'PyPI', poetry: 'PyPI', pylock: 'PyPI', uv: 'PyPI', cargo: 'crates.io', jar: 'Maven',
    };
    type Expected = { id: string; name: string; installed: string; ecosystem: string };
    const expected: Expected[] = [];
    const repo = JSON.parse(readFileSync(sharedData('trivy-integration', 'goldens', 'repo', '_index.json'), 'utf8')) as { results: { type: string; vulns: string[][] }[] }[];
    for (const g of repo) for (const r of g.results) for (const [id, name, installed] of r.vulns) {
      const ecosystem = typeToEcosystem[r.type];
      if (ecosystem && id && name && installed) expected.push({ id, name, installed, ecosystem });
    }
    const images = JSON.parse(readFileSync(sharedData('trivy-integration', 'goldens', 'image', '_index.json'), 'utf8')) as { expected_vulns: { type: string; id: string; pkg: string; installed: string }[] }[];
    for (const g of images) for (const v of g.expected_vulns) {
      const ecosystem = typeToEcosystem[v.type];
      if (ecosystem) expected.push({ id: v.id, name: v.pkg, installed: v.installed, ecosystem });
    }
    // Spring4Shell goldens name the jar by artifact; our Maven records use group:artifact.
    const mavenNames: Record<string, string> = { 'org.springframework:spring-beans': 'org.springframework:spring-beans' };
    const packages = expected.map((e) => pkg({ name: mavenNames[e.name] ?? e.name, version: e.installed, ecosystem: e.ecosystem }));
    const { vulnerabilities } = matchPackages(packages, undefined, index);
    let checked = 0;
    const missing: string[] = [];
    for (const e of expected) {
      // Only where the staged data has this id for this package (not GMS-…, Hex, Pub, Swift, Debian-only CVEs…).
      const rids = new Set(index.ridsFor(e.id));
      const rows = index.lookup(e.ecosystem, [e.name]).get(e.name) ?? [];
      if (!rows.some((r) => rids.has(r.rid))) continue;
      checked++;
      const hit = vulnerabilities.some((v) => v.package_name === e.name && v.installed_version === e.installed && (v.id === e.id || v.aliases.includes(e.id)));
      if (!hit) missing.push(`${e.ecosystem} ${e.name}@${e.installed} ${e.id}`);
    }
    assert.deepEqual(missing, []);
    assert.ok(checked >= 15, `only ${checked} expected findings had staged data`);
    const schemes: Record<string, string> = { npm: 'semver', PyPI: 'pep440', Go: 'go', 'crates.io': 'semver', NuGet: 'nuget', Packagist: 'composer', Maven: 'maven' };
    for (const v of vulnerabilities) {
      if (v.fixed_version === null) continue;
      const scheme = getScheme(schemes[v.ecosystem] ?? 'generic');
      assert.ok(scheme.compare(v.fixed_version, v.installed_version) > 0, `${v.package_name}@${v.installed_version} ${v.id} fixed in ${v.fixed_version}`);
    }
    t.diagnostic(`goldens: ${checked} expected findings checked, ${vulnerabilities.length} findings in total (extra findings come from the full OSV data)`);
  });

  test('trivy image goldens (Alpine, Debian, Ubuntu): every expected finding our feeds cover is found with the same fix', (t) => {
    if (!haveSharedData(t, 'trivy-integration', 'goldens') || !index) return;
    // The goldens list binary packages only; their source packages (from the distro archives):
    const sourceOf: Record<string, string> = {
      'libcrypto1.1': 'openssl', 'libssl1.1': 'openssl', 'musl-utils': 'musl', 'libidn2-0': 'libidn2',
      e2fslibs: 'e2fsprogs', libcomerr2: 'e2fsprogs', 'libcom-err2': 'e2fsprogs', libext2fs2: 'e2fsprogs', libss2: 'e2fsprogs',
    };
    const images = JSON.parse(readFileSync(sharedData('trivy-integration', 'goldens', 'image', '_index.json'), 'utf8')) as {
      os?: { Family: string; Name: string };
      expected_vulns: { type: string; id: string; pkg: string; installed: string; fixed?: string; status: string }[];
    }[];
    let checked = 0;
    const problems: string[] = [];
    for (const g of images) {
      const fam = g.os?.Family;
      const ver = g.os?.Name ?? '';
      const ecosystem = fam === 'alpine' ? `Alpine:v${ver.split('.').slice(0, 2).join('.')}` : fam === 'debian' ? `Debian:${ver.split('.')[0]}` : fam === 'ubuntu' ? `Ubuntu:${ver}` : '';
      if (!ecosystem) continue;
      for (const v of g.expected_vulns) {
        if (v.type !== fam) continue;
        const source = sourceOf[v.pkg] ?? v.pkg;
        const rids = new Set(index.ridsFor(v.id));
        if (!(index.lookup(ecosystem, [source]).get(source) ?? []).some((r) => rids.has(r.rid))) continue;
        checked++;
        const p = pkg({ name: v.pkg, version: v.installed, type: fam === 'alpine' ? 'apk' : 'deb', ecosystem, source: { name: source, version: v.installed } });
        const found = matchPackages([p], undefined, index).vulnerabilities.find((x) => x.id === v.id || x.aliases.includes(v.id));
        if (!found) problems.push(`${ecosystem} ${v.pkg}@${v.installed} ${v.id}: not found`);
        // Trivy's fixture DB predates some fixes (it says "affected" where a DLA has since shipped one).
        else if (v.status === 'fixed' && found.fixed_version !== v.fixed) problems.push(`${v.pkg} ${v.id}: fixed ${found.fixed_version} != ${v.fixed}`);
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(checked >= 15, `only ${checked} image findings had staged data`);
  });
});
