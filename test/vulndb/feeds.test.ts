import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { parseDebianList, parseDebianTrackerJson, debianEcosystemForCodename } from '../../src/vulndb/feeds/debian.ts';
import { parseAlpineSecdb, secfixId, alpineBranch } from '../../src/vulndb/feeds/alpine.ts';
import { validateOsvRecord, cveIdsOf } from '../../src/vulndb/osv.ts';
import { listZipEntries, readZipEntry, ZipFormatError, crc32 } from '../../src/util/zip.ts';
import { normalizeEcosystem, normalizePackageName } from '../../src/vulndb/names.ts';
import { selectSeverity, severityFromWord } from '../../src/vulndb/severity.ts';
import { haveSharedData, sharedData } from '../helpers/shared-data.ts';

describe('Debian DSA/DLA list', () => {
  const text = [
    '[29 Mar 2023] DSA-5380-1 xorg-server - security update',
    '\t{CVE-2023-1393}',
    '\t[bullseye] - xorg-server 2:1.20.11-1+deb11u6',
    '[01 Jan 2020] DSA-4000-1 foo - several',
    '\t{CVE-2020-1 CVE-2020-0002}',
    '\t[buster] - foo <not-affected> (vulnerable code not present)',
    '\t[stretch] - foo <end-of-life>',
    '\t[bookworm] - foo <unfixed>',
    '[02 Jan 2020] DSA-4001-1 nothing - notice',
    '\tNOTE: no packages',
    '[03 Jan 2020] DSA-4000-2 foo - regression update',
    '\t[stretch] - foo 1.0-2',
    '',
  ].join('\n');

  test('records per advisory with releases mapped to Debian:N; markers handled', () => {
    const r = parseDebianList(text, 'DSA');
    assert.deepEqual(r.invalid, []);
    assert.equal(r.records.length, 2, 'an advisory without package lines or without a CVE (regression update) yields no record');
    const [xorg, foo] = r.records;
    assert.equal(xorg?.id, 'DSA-5380-1');
    assert.equal(xorg?.published, '2023-03-29T00:00:00Z');
    assert.deepEqual(xorg?.upstream, ['CVE-2023-1393']);
    assert.deepEqual(xorg?.affected?.[0], { package: { ecosystem: 'Debian:11', name: 'xorg-server' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2:1.20.11-1+deb11u6' }] }] });
    assert.deepEqual(foo?.upstream, ['CVE-2020-0002'], 'malformed CVE ids are dropped');
    assert.deepEqual(foo?.affected?.map((a) => [a.package?.ecosystem, a.ecosystem_specific?.fix_status ?? 'affected']), [['Debian:9', 'will_not_fix'], ['Debian:12', 'affected']]);
  });

  test('codenames', () => {
    assert.equal(debianEcosystemForCodename('bookworm'), 'Debian:12');
    assert.equal(debianEcosystemForCodename('Bullseye'), 'Debian:11');
    assert.equal(debianEcosystemForCodename('sid'), undefined);
  });

  test('the real lists parse with at most one invalid line', (t) => {
    if (!haveSharedData(t, 'distro', 'debian-tracker-lists')) return;
    const dsa = parseDebianList(readFileSync(sharedData('distro', 'debian-tracker-lists', 'DSA.list'), 'utf8'), 'DSA');
    const dla = parseDebianList(readFileSync(sharedData('distro', 'debian-tracker-lists', 'DLA.list'), 'utf8'), 'DLA');
    assert.ok(dsa.records.length > 5000);
    assert.ok(dla.records.length > 3000);
    assert.ok([...dsa.records, ...dla.records].every((r) => (r.upstream?.length ?? 0) > 0));
    assert.deepEqual(dsa.invalid.map((i) => i.id), ['DSA-423']);
    assert.deepEqual(dla.invalid, []);
  });
});

describe('Debian tracker JSON', () => {
  test('resolved/open/not-affected/EOL per release, urgency without the ** marker', (t) => {
    if (!haveSharedData(t, 'distro', 'debian-tracker-sample')) return;
    const r = parseDebianTrackerJson(readFileSync(sharedData('distro', 'debian-tracker-sample', 'debian.json'), 'utf8'), '2024-01-01T00:00:00Z');
    assert.deepEqual(r.invalid, []);
    const proto = r.records.find((x) => x.id === 'DEBIAN-CVE-2008-7220');
    const stretch = proto?.affected?.find((a) => a.package?.ecosystem === 'Debian:9');
    assert.deepEqual(stretch?.ranges?.[0]?.events, [{ introduced: '0' }, { fixed: '1.6.0.2-1' }]);
    assert.equal(stretch?.ecosystem_specific?.urgency, 'high');
    assert.equal(r.records.find((x) => x.id === 'DEBIAN-CVE-2007-2383'), undefined, 'fixed_version 0 everywhere: never affected');
    const chromium = r.records.find((x) => x.id === 'DEBIAN-CVE-2022-0456');
    const buster = chromium?.affected?.find((a) => a.package?.ecosystem === 'Debian:10');
    assert.equal(buster?.ecosystem_specific?.fix_status, 'will_not_fix');
    assert.deepEqual(buster?.ranges?.[0]?.events, [{ introduced: '0' }]);
  });
  test('garbage is reported, not thrown', () => {
    assert.equal(parseDebianTrackerJson('{"x": 5}', 'm').records.length, 0);
    assert.equal(parseDebianTrackerJson('[1,2]', 'm').invalid.length, 1);
    assert.equal(parseDebianTrackerJson('{', 'm').invalid.length, 1);
  });
});

describe('Alpine secdb', () => {
  test('YAML and JSON; key 0 means not affected; keys stay strings', () => {
    const yaml = 'distroversion: v3.10\nreponame: main\npackages:\n  - pkg:\n      name: openssl\n      secfixes:\n        1.1.1d-r0:\n          - CVE-2019-1547\n        "0":\n          - CVE-2019-0001\n        1.10-r0:\n          - CVE_2019-2426\n';
    const r = parseAlpineSecdb(yaml, 'm');
    assert.deepEqual(r.invalid, []);
    assert.deepEqual(r.records.map((x) => [x.id, x.affected?.[0]?.ranges?.[0]?.events[1]?.fixed]).sort(), [['ALPINE-CVE-2019-1547', '1.1.1d-r0'], ['ALPINE-CVE-2019-2426', '1.10-r0']]);
    assert.equal(r.records[0]?.affected?.[0]?.package?.ecosystem, 'Alpine:v3.10');
    const json = parseAlpineSecdb(JSON.stringify({ distroversion: 'v3.19', packages: [{ pkg: { name: 'curl', secfixes: { '8.5.0-r0': ['CVE-2023-46218'] } } }] }), 'm');
    assert.equal(json.records[0]?.affected?.[0]?.package?.ecosystem, 'Alpine:v3.19');
    assert.equal(parseAlpineSecdb('packages: []', 'm').invalid.length, 1);
  });
  test('secfix ids: typos and placeholders', () => {
    assert.equal(secfixId('CVE-2019-1547'), 'CVE-2019-1547');
    assert.equal(secfixId('CVE_2019-2426'), 'CVE-2019-2426');
    assert.equal(secfixId('CVE 2018-16859'), 'CVE-2018-16859');
    assert.equal(secfixId('CVE-2019-19451.patch'), 'CVE-2019-19451');
    assert.equal(secfixId('CVE-????-?????  XSA-295'), 'XSA-295');
    assert.equal(secfixId('wnpa-sec-2017-18'), 'wnpa-sec-2017-18');
    assert.equal(secfixId('just words'), undefined);
    assert.equal(alpineBranch('3.19.1'), 'v3.19');
  });
});

describe('OSV validation and names', () => {
  test('rejects what matching cannot use, with the reason', () => {
    assert.equal(validateOsvRecord({ id: 'X-1', modified: 'm', affected: [{ package: { ecosystem: 'npm', name: 'a' }, ranges: [{ type: 'SEMVER', events: [{ introduced: 1 }] }] }] }).ok, false);
    assert.equal(validateOsvRecord({ id: 'X-1' }).ok, false);
    assert.equal(validateOsvRecord([]).ok, false);
    const ok = validateOsvRecord({ id: 'X-1', modified: 'm', aliases: ['CVE-2020-1234'], upstream: ['CVE-2020-9999'], unknown: 1 });
    assert.ok(ok.ok);
    if (ok.ok) assert.deepEqual(cveIdsOf(ok.record), ['CVE-2020-1234', 'CVE-2020-9999']);
  });
  test('ecosystem and name normalisation', () => {
    assert.equal(normalizeEcosystem('Ubuntu:22.04:LTS'), 'Ubuntu:22.04');
    assert.equal(normalizeEcosystem('Ubuntu:Pro:16.04:LTS'), 'Ubuntu:Pro:16.04');
    assert.equal(normalizeEcosystem('Alpine:3.19.1'), 'Alpine:v3.19');
    assert.equal(normalizeEcosystem('Debian:12.4'), 'Debian:12');
    assert.equal(normalizePackageName('PyPI', 'Zope.Interface__x'), 'zope-interface-x');
    assert.equal(normalizePackageName('NuGet', 'Newtonsoft.Json'), 'newtonsoft.json');
    assert.equal(normalizePackageName('Go', 'github.com/BurntSushi/toml'), 'github.com/BurntSushi/toml');
  });
  test('severity words and selection order', () => {
    assert.equal(severityFromWord('high**'), 'HIGH');
    assert.equal(severityFromWord('not yet assigned'), undefined);
    const rec = { id: 'DEBIAN-CVE-1', severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] };
    assert.equal(selectSeverity([{ record: rec, ecosystemSpecific: { urgency: 'low' } }], 'debian').severity, 'LOW');
    assert.equal(selectSeverity([{ record: rec, ecosystemSpecific: { urgency: 'low' } }]).severity, 'CRITICAL');
    assert.equal(selectSeverity([{ record: { id: 'X-1' } }]).severity, 'UNKNOWN');
  });
});

describe('zip reader', () => {
  test('crc32 of a known string', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  });
});

describe('parser fuzzing: hostile input gives reported errors, never a crash', () => {
  test('DSA list parser', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('[01 Jan 2020] DSA-1-1 p - x', '\t{CVE-2020-1234}', '\t[bullseye] - p 1.0', '\t[bullseye] - p <unfixed>', '[')), { maxLength: 20 }), (lines) => {
      const r = parseDebianList(lines.join('\n'));
      assert.ok(Array.isArray(r.records) && Array.isArray(r.invalid));
    }), { numRuns: 300 });
  });
  test('Alpine secdb parser', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
      const r = parseAlpineSecdb(`distroversion: v3.1\npackages:\n  - pkg:\n      name: x\n      secfixes:\n        ${s}`, 'm');
      assert.ok(Array.isArray(r.records));
    }), { numRuns: 300 });
  });
  test('OSV validator', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
      const r = validateOsvRecord(v);
      assert.equal(typeof r.ok, 'boolean');
    }), { numRuns: 500 });
  });
  test('zip reader', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const buf = Buffer.concat([Buffer.from(bytes), Buffer.from([0x50, 0x4b, 0x05, 0x06]), Buffer.from(bytes.slice(0, 18))]);
      try {
        for (const e of listZipEntries(buf)) readZipEntry(buf, e, 1 << 20);
      } catch (err) {
        assert.ok(err instanceof ZipFormatError, String(err));
      }
    }), { numRuns: 500 });
  });
});
