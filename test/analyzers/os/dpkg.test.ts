import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdtempSync, copyFileSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { dpkgAnalyzer, parseDpkgStatus, parseDpkgList, parseDpkgMd5sums, dpkgVersionError, parseDebianCopyright } from '../../../src/analyzers/os/dpkg.ts';
import { debootstrapAvailable, ensureDebianLanguageRootfs, ensureDebianRootfs } from '../../helpers/debian-rootfs.ts';
import { haveSharedData, requireOrSkip, sharedData } from '../../helpers/shared-data.ts';
import { readTree, runAnalyzer } from './helpers.ts';

interface TrivyPkg {
  Name: string; Version: string; Release?: string; Epoch?: number; Arch?: string;
  SrcName?: string; SrcVersion?: string; SrcRelease?: string; SrcEpoch?: number;
}

function full(epoch: number | undefined, version: string | undefined, release: string | undefined): string {
  return `${epoch ? `${epoch}:` : ''}${version ?? ''}${release ? `-${release}` : ''}`;
}

const CASES = ['trivy-ubuntu1804-status', 'trivy-corrupted-status', 'trivy-third-party'];

describe('dpkg fixtures (exact match with trivy expectations)', () => {
  for (const c of CASES) {
    test(c, async (t) => {
      if (!haveSharedData(t, 'pkgdb-fixtures/dpkg', c)) return;
      const dir = sharedData('pkgdb-fixtures/dpkg', c);
      const expected = (JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { packages: TrivyPkg[] }).packages;
      const out = await runAnalyzer(dpkgAnalyzer, readTree(path.join(dir, 'input')));
      const got = (out.packages ?? []).map((p) => [p.name, p.version, p.arch, p.source?.name, p.source?.version].join('\t')).sort();
      const want = expected.map((p) => [p.Name, full(p.Epoch, p.Version, p.Release), p.Arch, p.SrcName,
        full(p.SrcEpoch, p.SrcVersion, p.SrcRelease)].join('\t')).sort();
      assert.deepEqual(got, want);
      for (const p of out.packages ?? []) {
        assert.equal(p.type, 'deb');
        assert.deepEqual(p.locations, [{ layer: 'sha256:test', path: 'var/lib/dpkg/status' }]);
      }
    });
  }

  test('ubuntu 18.04 status agrees with the recorded dpkg-query output (installed only)', (t) => {
    if (!haveSharedData(t, 'pkgdb-fixtures/dpkg/trivy-ubuntu1804-status')) return;
    const dir = sharedData('pkgdb-fixtures/dpkg/trivy-ubuntu1804-status');
    const oracle = readFileSync(path.join(dir, 'expected.dpkg-query.txt'), 'utf8').split('\n').filter(Boolean)
      .map((l) => l.split('\t')).filter((f) => f[5]?.trim() === 'ii').map((f) => f.slice(0, 5).join('\t')).sort();
    const r = parseDpkgStatus(readFileSync(path.join(dir, 'input/var/lib/dpkg/status')), 'status');
    const got = r.packages.map((p) => [p.name, p.version, p.arch, p.sourceName, p.sourceVersion].join('\t')).sort();
    assert.equal(oracle.length, 90);
    assert.deepEqual(got, oracle);
  });
});

describe('dpkg status semantics', () => {
  const stanza = (name: string, status: string | undefined, extra = ''): string =>
    `Package: ${name}\n${status === undefined ? '' : `Status: ${status}\n`}Version: 1.0-1\nArchitecture: amd64\n${extra}`;

  test('only installed and trigger-waiting states count', () => {
    const text = [
      stanza('a', 'install ok installed'), stanza('b', 'hold ok installed'), stanza('c', 'deinstall ok config-files'),
      stanza('d', 'install reinstreq half-installed'), stanza('e', 'install ok unpacked'), stanza('f', 'install ok half-configured'),
      stanza('g', 'install ok triggers-pending'), stanza('h', 'install ok triggers-awaited'), stanza('i', 'purge ok not-installed'),
      stanza('j', undefined), stanza('k', 'install ok'),
    ].join('\n');
    assert.deepEqual(parseDpkgStatus(text, 's').packages.map((p) => p.name), ['a', 'b', 'g', 'h']);
  });

  test('maintainer is kept in metadata', async () => {
    const out = await runAnalyzer(dpkgAnalyzer, new Map([['var/lib/dpkg/status', Buffer.from('Package: a\nStatus: install ok installed\nVersion: 1\nMaintainer: Debian X <x@debian.org>\n')]]));
    assert.deepEqual(out.packages?.[0]?.metadata, { maintainer: 'Debian X <x@debian.org>' });
  });

  test('status.d stanzas have no Status and are installed', () => {
    const r = parseDpkgStatus(stanza('libc6', undefined, 'Source: glibc (2.36-9+deb12u4)\n'), 'var/lib/dpkg/status.d/libc6', false);
    assert.deepEqual(r.packages.map((p) => [p.name, p.sourceName, p.sourceVersion]), [['libc6', 'glibc', '2.36-9+deb12u4']]);
  });

  test('multi-line fields, CRLF and garbage do not confuse the parser', () => {
    const text = 'Package: x\r\nStatus: install ok installed\r\nVersion: 2:1.2-3\r\nDescription: line one\r\n two\r\n .\r\n Package: fake\r\nConffiles:\r\n /etc/x abc\r\n\r\nthis is garbage\r\n\x00\x01\x02';
    const r = parseDpkgStatus(text, 'status');
    assert.deepEqual(r.packages.map((p) => [p.name, p.version, p.sourceName, p.sourceVersion]), [['x', '2:1.2-3', 'x', '2:1.2-3']]);
    assert.ok(r.warnings.some((w) => w.includes('CRLF')));
    assert.ok(r.warnings.some((w) => w.includes('status: line')));
  });

  test('versions dpkg rejects are skipped with a warning', () => {
    assert.equal(dpkgVersionError('1:2.3-4'), undefined);
    assert.equal(dpkgVersionError('1:5.#'), undefined, 'bad characters are only a warning for dpkg in lax mode');
    assert.match(dpkgVersionError('a:1') ?? '', /epoch/);
    assert.match(dpkgVersionError('1.0-') ?? '', /revision/);
    assert.match(dpkgVersionError('') ?? '', /empty/);
    const r = parseDpkgStatus(stanza('x', 'install ok installed').replace('1.0-1', '1.0-'), 's');
    assert.equal(r.packages.length, 0);
    assert.match(r.warnings.join(), /x \(line 1\): revision number is empty/);
  });

  test('list and md5sums files give owned paths without leading slash', () => {
    assert.deepEqual(parseDpkgList('/.\n/usr\n/usr/bin/x\n/usr/share/doc/x/\n'), ['usr', 'usr/bin/x', 'usr/share/doc/x']);
    assert.deepEqual(parseDpkgMd5sums('0123456789abcdef0123456789abcdef  usr/lib/libx.so.1\nbad line\n'), ['usr/lib/libx.so.1']);
  });

  test('files attach by name and by name:arch for Multi-Arch: same; distroless md5sums attach to their status.d entry', async () => {
    const files = new Map<string, Buffer>([
      ['var/lib/dpkg/status', Buffer.from(`${stanza('libc6', 'install ok installed', 'Multi-Arch: same\n')}\n${stanza('bash', 'install ok installed')}`)],
      ['var/lib/dpkg/info/libc6:amd64.list', Buffer.from('/lib/x86_64-linux-gnu/libc.so.6\n')],
      ['var/lib/dpkg/info/bash.list', Buffer.from('/bin/bash\n')],
      ['var/lib/dpkg/info/bash.md5sums', Buffer.from('')],
      ['var/lib/dpkg/status.d/libssl3', Buffer.from(stanza('libssl3', undefined, 'Source: openssl\n'))],
      ['var/lib/dpkg/status.d/libssl3.md5sums', Buffer.from('0123456789abcdef0123456789abcdef  usr/lib/libssl.so.3\n')],
    ]);
    const out = await runAnalyzer(dpkgAnalyzer, files);
    const byName = new Map((out.packages ?? []).map((p) => [p.name, p]));
    assert.deepEqual(byName.get('libc6')?.files, ['lib/x86_64-linux-gnu/libc.so.6']);
    assert.deepEqual(byName.get('bash')?.files, ['bin/bash']);
    assert.deepEqual(byName.get('libssl3')?.files, ['usr/lib/libssl.so.3']);
    assert.deepEqual(byName.get('libssl3')?.locations, [{ layer: 'sha256:test', path: 'var/lib/dpkg/status.d/libssl3' }]);
    assert.equal(byName.get('libssl3')?.source?.name, 'openssl');
    assert.equal(byName.get('bash')?.metadata, undefined);
  });
});

describe('dpkg licenses from usr/share/doc/<pkg>/copyright', () => {
  test('DEP-5 License: lines (first word), else common-licenses references', () => {
    const dep5 = 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: x\nLicense: GPL-3+\n\nFiles: lib/*\nLicense: GPL-3+ with Bison exception\n\nLicense: BSD-4-clause-UC\n text\n';
    assert.deepEqual(parseDebianCopyright(dep5), ['BSD-4-clause-UC', 'GPL-3+']);
    const free = 'This is free software.\nOn Debian systems see /usr/share/common-licenses/GPL-2 and /usr/share/common-licenses/LGPL-2.1.\n';
    assert.deepEqual(parseDebianCopyright(free), ['GPL-2', 'LGPL-2.1']);
    assert.deepEqual(parseDebianCopyright('no license here'), []);
  });

  test('attached to the installed package of the same name; other doc paths ignored', async () => {
    const meta = (p: string) => ({ path: p, type: 'file' as const, size: 1, mode: 0o644, layerIndex: 0, layerDigest: '' });
    assert.equal(dpkgAnalyzer.required('usr/share/doc/zlib1g/copyright', meta('usr/share/doc/zlib1g/copyright')), true);
    assert.equal(dpkgAnalyzer.required('usr/share/doc/zlib1g/changelog.gz', meta('x')), false);
    assert.equal(dpkgAnalyzer.required('usr/share/doc/a/b/copyright', meta('x')), false);
    const out = await runAnalyzer(dpkgAnalyzer, new Map([
      ['var/lib/dpkg/status', Buffer.from('Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\n')],
      ['usr/share/doc/zlib1g/copyright', Buffer.from('Files: *\nLicense: Zlib\n')],
      ['usr/share/doc/removed-pkg/copyright', Buffer.from('License: MIT\n')],
    ]));
    assert.deepEqual(out.packages?.map((p) => [p.name, p.licenses]), [['zlib1g', ['Zlib']]]);
  });

  test('host copyright files parse without throwing and mostly yield licenses', (t) => {
    let dirs: string[] = [];
    try { dirs = readdirSync('/usr/share/doc'); } catch { /* none */ }
    if (dirs.length === 0) { t.skip('no /usr/share/doc'); return; }
    let withLicense = 0; let total = 0;
    for (const d of dirs) {
      const f = path.join('/usr/share/doc', d, 'copyright');
      if (!existsSync(f)) continue;
      total++;
      if (parseDebianCopyright(readFileSync(f)).length > 0) withLicense++;
    }
    assert.ok(total === 0 || withLicense / total > 0.8, `${withLicense}/${total}`);
  });
});

describe('dpkg robustness', () => {
  test('truncated/corrupted real status files and random bytes: result or Error, never a crash', (t) => {
    if (!haveSharedData(t, 'pkgdb-fixtures/dpkg/trivy-ubuntu1804-status')) return;
    const real = readFileSync(sharedData('pkgdb-fixtures/dpkg/trivy-ubuntu1804-status/input/var/lib/dpkg/status'));
    fc.assert(fc.property(fc.nat(real.length), fc.array(fc.tuple(fc.nat(real.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 50 }), (cut, flips) => {
      const b = Buffer.from(real.subarray(0, cut));
      for (const [i, v] of flips) if (i < b.length) b[i] = v;
      const r = parseDpkgStatus(b, 'status');
      assert.ok(r.packages.length <= 91);
      assert.ok(r.warnings.length <= 21 + r.packages.length + 91);
    }), { numRuns: 200 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
      parseDpkgStatus(Buffer.from(bytes), 'status');
      parseDpkgList(Buffer.from(bytes));
    }), { numRuns: 300 });
  });
});

function haveDpkgQuery(): boolean {
  try { execFileSync('dpkg-query', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
}

/** Differential: the real dpkg-query on a snapshot of a status file vs our parser. */
function dpkgQueryInstalled(statusFile: string): string[] {
  const admin = mkdtempSync(path.join(os.tmpdir(), 'pw-dpkg-'));
  try {
    mkdirSync(path.join(admin, 'info'));
    mkdirSync(path.join(admin, 'updates'));
    copyFileSync(statusFile, path.join(admin, 'status'));
    const out = execFileSync('dpkg-query', [`--admindir=${admin}`, '-W', '-f',
      '${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\t${db:Status-Status}\n'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n').filter(Boolean).map((l) => l.split('\t'))
      .filter((f) => ['installed', 'triggers-pending', 'triggers-awaited'].includes(f[5] ?? ''))
      .map((f) => f.slice(0, 5).join('\t')).sort();
  } finally {
    rmSync(admin, { recursive: true, force: true });
  }
}

describe('differential against dpkg-query', () => {
  // The rootfs paths are resolved in the test: building one (or waiting for the suite building it) takes minutes.
  const statusIn = (root: () => string) => () => path.join(root(), 'var/lib/dpkg/status');
  const candidates: Array<[string, () => string, boolean]> = [
    ['host /var/lib/dpkg/status', () => '/var/lib/dpkg/status', false],
    ['debootstrap bookworm rootfs', statusIn(ensureDebianRootfs), true],
    ['debootstrap bookworm rootfs with python3/ruby packages (binNMU sources, Multi-Arch)', statusIn(ensureDebianLanguageRootfs), true],
  ];
  for (const c of CASES) candidates.push([`fixture ${c}`, () => sharedData('pkgdb-fixtures/dpkg', c, 'input/var/lib/dpkg/status'), false]);
  for (const [label, locate, debootstrapped] of candidates) {
    test(label, (t) => {
      if (!requireOrSkip(t, haveDpkgQuery(), 'dpkg-query')) return;
      // Debootstrap needs root; without it (outside CI) those cases are skipped, never silently passed.
      if (debootstrapped && !requireOrSkip(t, debootstrapAvailable(), 'debootstrap (as root)')) return;
      const file = locate();
      if (!existsSync(file) && !requireOrSkip(t, false, file)) return;
      // Snapshot first: apt may be rewriting the host's status file while we read it.
      const snap = path.join(mkdtempSync(path.join(os.tmpdir(), 'pw-dpkg-snap-')), 'status');
      copyFileSync(file, snap);
      try {
        const oracle = dpkgQueryInstalled(snap);
        const got = parseDpkgStatus(readFileSync(snap), snap).packages
          .map((p) => [p.name, p.version, p.arch, p.sourceName, p.sourceVersion].join('\t')).sort();
        assert.ok(oracle.length > 0);
        assert.deepEqual(got, oracle);
      } finally {
        rmSync(path.dirname(snap), { recursive: true, force: true });
      }
    });
  }
});
