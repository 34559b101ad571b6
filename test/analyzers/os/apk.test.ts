import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { apkAnalyzer, parseApkInstalled } from '../../../src/analyzers/os/apk.ts';
import { haveSharedData, sharedData } from '../../helpers/shared-data.ts';
import { readTree, runAnalyzer } from './helpers.ts';

interface TrivyApk { Name: string; Version: string; Arch: string; SrcName: string; SrcVersion: string; InstalledFiles?: string[]; Licenses?: string[] }

describe('apk', () => {
  test('trivy alpine fixture matches exactly (name, version, arch, origin, files)', async (t) => {
    if (!haveSharedData(t, 'pkgdb-fixtures/apk/trivy-alpine-apk')) return;
    const dir = sharedData('pkgdb-fixtures/apk/trivy-alpine-apk');
    const expected = (JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { packages: TrivyApk[] }).packages;
    const out = await runAnalyzer(apkAnalyzer, readTree(path.join(dir, 'input')));
    const pkgs = out.packages ?? [];
    assert.deepEqual(
      pkgs.map((p) => [p.name, p.version, p.arch, p.source?.name, p.source?.version, [...(p.files ?? [])].sort()]),
      expected.map((e) => [e.Name, e.Version, e.Arch, e.SrcName, e.SrcVersion, [...(e.InstalledFiles ?? [])].sort()]),
    );
    // Licenses are kept verbatim (trivy SPDX-normalises "GPL2"): present exactly where trivy found one.
    assert.deepEqual(pkgs.map((p) => (p.licenses ?? []).length > 0), expected.map((e) => (e.Licenses ?? []).length > 0));
    assert.deepEqual(pkgs.find((p) => p.name === 'ada-libs')?.licenses, ['( Apache-2.0 OR MIT ) AND MPL-2.0']);
    assert.equal(pkgs.every((p) => p.type === 'apk' && p.locations[0]?.path === 'lib/apk/db/installed'), true);
    assert.match(out.warnings?.join('\n') ?? '', /invalidPackageWithoutAVersion/);
  });

  test('files belong to the last F: directory; CRLF tolerated; stanza without name skipped', () => {
    const r = parseApkInstalled('P:a\r\nV:1-r0\r\nF:usr/bin\r\nR:a\r\nF:etc\r\nR:a.conf\r\n\r\nV:2-r0\r\n\r\ngarbage\n', 'db');
    assert.deepEqual(r.packages.map((p) => [p.name, p.version, p.origin, p.files, p.maintainer]), [['a', '1-r0', '', ['usr/bin/a', 'etc/a.conf'], '']]);
    assert.equal(r.warnings.length, 3);
  });

  test('fuzz: truncated/corrupted real DB and random bytes never crash', (t) => {
    if (!haveSharedData(t, 'pkgdb-fixtures/apk/trivy-alpine-apk')) return;
    const real = readFileSync(sharedData('pkgdb-fixtures/apk/trivy-alpine-apk/input/lib/apk/db/installed'));
    fc.assert(fc.property(fc.nat(real.length), fc.array(fc.tuple(fc.nat(real.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 40 }), (cut, flips) => {
      const b = Buffer.from(real.subarray(0, cut));
      for (const [i, v] of flips) if (i < b.length) b[i] = v;
      const r = parseApkInstalled(b, 'db');
      assert.ok(r.packages.length <= 16 + flips.length);
    }), { numRuns: 200 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => { parseApkInstalled(Buffer.from(bytes), 'db'); }), { numRuns: 300 });
  });
});

test('apk maintainer and commit land in metadata', async () => {
  const out = await runAnalyzer(apkAnalyzer, new Map([['lib/apk/db/installed', Buffer.from('P:zlib\nV:1.3-r0\nm:Natanael Copa <ncopa@alpinelinux.org>\nc:abc123\n\n')]]));
  assert.deepEqual(out.packages?.[0]?.metadata, { commit: 'abc123', maintainer: 'Natanael Copa <ncopa@alpinelinux.org>' });
});
