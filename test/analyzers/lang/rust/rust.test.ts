import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { haveSharedData, requireOrSkip, sharedData } from '../../../helpers/shared-data.ts';
import { cargoLockAnalyzer, parseCargoLock, parseCargoManifestDeps, readAuditableData, rustBinaryAnalyzer } from '../../../../src/analyzers/lang/rust/index.ts';
import type { FileMeta } from '../../../../src/image/types.ts';
import { HAVE_GO, goBuilds } from '../golang/build-fixtures.ts';

function meta(p: string, size = 1, mode = 0o644): FileMeta {
  return { path: p, type: 'file', size, mode, layerIndex: 0, layerDigest: 'sha256:cc' };
}

const FIXTURES = 'pkgdb-fixtures/cargo';

describe('Cargo.lock', () => {
  test('every pkgdb cargo fixture gives exactly its expected packages', (t) => {
    if (!haveSharedData(t, FIXTURES)) return;
    const cases = readdirSync(sharedData(FIXTURES));
    assert.ok(cases.length >= 3);
    for (const c of cases) {
      const expected = JSON.parse(readFileSync(sharedData(FIXTURES, c, 'expected.json'), 'utf8')) as { packages: { Name: string; Version: string }[] };
      const file = sharedData(FIXTURES, c, 'input/Cargo.lock');
      const fragment = cargoLockAnalyzer.analyze({ path: 'Cargo.lock', content: readFileSync(file), meta: meta('Cargo.lock') });
      assert.ok(fragment && !(fragment instanceof Promise));
      const value = fragment.packages;
      const got = value.map((p) => `${p.name}@${p.version}`).sort();
      assert.deepEqual(got, expected.packages.map((p) => `${p.Name}@${p.Version}`).sort(), c);
      for (const p of value) {
        assert.equal(p.ecosystem, 'crates.io');
        assert.equal(p.type, 'cargo');
        assert.equal(p.purl, `pkg:cargo/${p.name}@${p.version}`);
      }
    }
  });

  test('trivy integration cargo project: Cargo.toml marks dev-only crates; the rest is its golden report', (t) => {
    if (!haveSharedData(t, 'trivy-integration/repo/cargo/Cargo.lock')) return;
    const fragments = ['Cargo.lock', 'Cargo.toml'].map((name) => {
      const value = cargoLockAnalyzer.analyze({ path: `proj/${name}`, content: readFileSync(sharedData('trivy-integration/repo/cargo', name)), meta: meta(`proj/${name}`) });
      assert.ok(value && !(value instanceof Promise));
      return { path: `proj/${name}`, layerIndex: 0, layerDigest: '', value };
    });
    const pkgs = cargoLockAnalyzer.finalize(fragments).packages ?? [];
    const golden = JSON.parse(readFileSync(sharedData('trivy-integration/goldens/repo/cargo.lock.json.golden'), 'utf8')) as
      { Results: { Packages: { ID: string; Relationship: string }[] }[] };
    const expected = golden.Results[0]?.Packages ?? [];
    assert.deepEqual(pkgs.filter((p) => !p.dev).map((p) => `${p.name}@${p.version}`).sort(), expected.map((p) => p.ID).sort());
    assert.deepEqual(pkgs.filter((p) => p.dev).map((p) => p.name).sort(), ['winapi', 'winapi-i686-pc-windows-gnu', 'winapi-x86_64-pc-windows-gnu']);
    for (const e of expected) {
      const p = pkgs.find((x) => `${x.name}@${x.version}` === e.ID);
      if (e.Relationship === 'direct') assert.equal(p?.indirect, false, e.ID);
      if (e.Relationship === 'indirect') assert.equal(p?.indirect, true, e.ID);
    }
  });

  test('v4 format, git and path sources, metadata', () => {
    const text = [
      'version = 4', '',
      '[[package]]', 'name = "app"', 'version = "0.1.0"', 'dependencies = ["serde", "gitdep"]', '',
      '[[package]]', 'name = "serde"', 'version = "1.0.200"',
      'source = "registry+https://github.com/rust-lang/crates.io-index"', 'checksum = "abc"', '',
      '[[package]]', 'name = "gitdep"', 'version = "0.3.0"', 'source = "git+https://example.com/g.git?rev=1#0123abc"', '',
    ].join('\n');
    const fragment = cargoLockAnalyzer.analyze({ path: 'w/Cargo.lock', content: Buffer.from(text), meta: meta('w/Cargo.lock') });
    assert.ok(fragment && !(fragment instanceof Promise));
    const pkgs = fragment.packages;
    assert.deepEqual(pkgs.map((p) => [p.name, p.version, p.metadata]), [
      ['app', '0.1.0', { local: true }],
      ['serde', '1.0.200', { checksum: 'abc' }],
      ['gitdep', '0.3.0', { source: 'git+https://example.com/g.git?rev=1#0123abc' }],
    ]);
    assert.equal(parseCargoLock(text).formatVersion, 4);
    assert.equal(parseCargoManifestDeps('[package]\nname = "a"\n[workspace]\nmembers = ["b"]\n'), undefined, 'workspace roots are not classified');
    assert.deepEqual(parseCargoManifestDeps('[package]\nname = "a"\n[dependencies]\nx = "1"\ny = { package = "z", version = "2" }\n[dev-dependencies]\nw = "1"\n'),
      { name: 'a', normal: new Set(['x', 'z']), dev: new Set(['w']) });
    assert.throws(() => parseCargoLock('[[package]\nname=', 'x/Cargo.lock'), /x\/Cargo\.lock: invalid TOML/);
    assert.equal(cargoLockAnalyzer.required('src/Cargo.lock', meta('src/Cargo.lock')), true);
    assert.equal(cargoLockAnalyzer.required('src/Cargo.toml', meta('src/Cargo.toml')), true);
    assert.equal(cargoLockAnalyzer.required('src/Cargo.lock.bak', meta('src/Cargo.lock.bak')), false);
    const cached = 'root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/serde-1.0.200/Cargo.lock';
    assert.equal(cargoLockAnalyzer.required(cached, meta(cached)), false);
    assert.equal(cargoLockAnalyzer.required('app/vendor/serde/Cargo.lock', meta('app/vendor/serde/Cargo.lock')), false);
  });
});

const HAVE_CC = spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('objcopy', ['--version'], { stdio: 'ignore' }).status === 0;

/** A real ELF executable (gcc) with a `.dep-v0` section added by objcopy, as cargo-auditable lays it out. */
const tempDirs: string[] = [];
after(() => { for (const d of tempDirs) rmSync(d, { recursive: true, force: true }); });

function elfWithSection(data: Buffer): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-auditable-'));
  tempDirs.push(dir);
  writeFileSync(path.join(dir, 'main.c'), 'int main(void) { return 0; }\n');
  execFileSync('gcc', ['-O0', '-o', path.join(dir, 'plain'), path.join(dir, 'main.c')]);
  writeFileSync(path.join(dir, 'dep.bin'), data);
  execFileSync('objcopy', ['--add-section', `.dep-v0=${path.join(dir, 'dep.bin')}`, path.join(dir, 'plain'), path.join(dir, 'audited')]);
  return path.join(dir, 'audited');
}

describe('cargo-auditable binaries', () => {
  const depInfo = {
    packages: [
      { name: 'myapp', version: '0.2.0', source: 'local', dependencies: [1, 2, 3], root: true },
      { name: 'serde', version: '1.0.190', source: 'crates.io' },
      { name: 'cc', version: '1.0.83', source: 'crates.io', kind: 'build' },
      { name: 'internal', version: '0.0.1', source: 'git', dependencies: [1] },
    ],
  };

  test('runtime crates.io dependencies from .dep-v0 of a real ELF; root noted; build deps and non-registry crates left out', async (t) => {
    if (!requireOrSkip(t, HAVE_CC, 'gcc and objcopy')) return;
    const file = elfWithSection(deflateSync(Buffer.from(JSON.stringify(depInfo))));
    const bytes = readFileSync(file);
    const raw = readAuditableData(bytes);
    assert.equal(raw?.length, 4);
    assert.ok(rustBinaryAnalyzer.required('usr/bin/myapp', meta('usr/bin/myapp', bytes.length, 0o755)));
    const value = await rustBinaryAnalyzer.analyze({ path: 'usr/bin/myapp', content: bytes, meta: meta('usr/bin/myapp', bytes.length, 0o755) });
    assert.ok(value);
    const out = rustBinaryAnalyzer.finalize([{ path: 'usr/bin/myapp', layerIndex: 1, layerDigest: 'sha256:dd', value }]);
    assert.deepEqual(out.packages, [
      { name: 'serde', version: '1.0.190', ecosystem: 'crates.io', type: 'cargo', purl: 'pkg:cargo/serde@1.0.190', metadata: { binaryRoot: 'myapp@0.2.0' }, locations: [{ layer: 'sha256:dd', path: 'usr/bin/myapp' }] },
    ]);
    // An executable without the section is not a Rust-audited binary.
    assert.equal(await rustBinaryAnalyzer.analyze({ path: 'bin/ls', content: readFileSync('/bin/ls'), meta: meta('bin/ls', 1, 0o755) }), undefined);
  });

  test('.dep-v0 in a PE executable (section added by objcopy to a Go-built Windows binary)', async (t) => {
    if (!requireOrSkip(t, HAVE_CC && HAVE_GO, 'objcopy and the go toolchain')) return;
    const { binaries } = await goBuilds();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-auditable-pe-'));
    tempDirs.push(dir);
    writeFileSync(path.join(dir, 'dep.bin'), deflateSync(Buffer.from(JSON.stringify(depInfo))));
    const out = path.join(dir, 'audited.exe');
    execFileSync('objcopy', ['--add-section', `.dep-v0=${path.join(dir, 'dep.bin')}`, binaries['windows-amd64.exe'] as string, out], { stdio: 'ignore' });
    const bytes = readFileSync(out);
    const value = await rustBinaryAnalyzer.analyze({ path: 'app/audited.exe', content: bytes, meta: meta('app/audited.exe', bytes.length) });
    assert.deepEqual(value?.map((p) => `${p.name}@${p.version}`), ['serde@1.0.190']);
  });

  test('corrupt and oversized sections give errors naming the file', async (t) => {
    if (!requireOrSkip(t, HAVE_CC, 'gcc and objcopy')) return;
    const garbage = readFileSync(elfWithSection(Buffer.from('not zlib at all')));
    await assert.rejects(async () => rustBinaryAnalyzer.analyze({ path: 'opt/bad', content: garbage, meta: meta('opt/bad') }), /opt\/bad: \.dep-v0 section: cannot inflate/);
    // 64 MiB of zeros inflates past the bound: refused, not buffered.
    const bomb = readFileSync(elfWithSection(deflateSync(Buffer.alloc(64 * 1024 * 1024))));
    await assert.rejects(async () => rustBinaryAnalyzer.analyze({ path: 'opt/bomb', content: bomb, meta: meta('opt/bomb') }), /opt\/bomb: .*cannot inflate/);
    const notJson = readFileSync(elfWithSection(deflateSync(Buffer.from('{"packages": 3}'))));
    await assert.rejects(async () => rustBinaryAnalyzer.analyze({ path: 'opt/nj', content: notJson, meta: meta('opt/nj') }), /no "packages" array/);
  });
});
