/**
 * Cargo itself as the oracle: a project with vendored "crates.io" dependencies (a directory
 * source, so no network), two versions of one crate, a renamed target-specific dependency and a
 * dev-only subtree. `cargo generate-lockfile` writes the Cargo.lock; `cargo metadata` lists every
 * package and `cargo tree -e normal,build` the ones that are not dev-only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireOrSkip } from '../../../helpers/shared-data.ts';
import { cargoLockAnalyzer } from '../../../../src/analyzers/lang/rust/index.ts';
import type { FileMeta } from '../../../../src/image/types.ts';

const HAVE_CARGO = spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0;

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function vendor(root: string, dir: string, name: string, version: string, deps = ''): void {
  const d = path.join(root, 'vendor', dir);
  write(path.join(d, 'Cargo.toml'), `[package]\nname = "${name}"\nversion = "${version}"\nedition = "2018"\n${deps}`);
  write(path.join(d, 'src/lib.rs'), '');
  write(path.join(d, '.cargo-checksum.json'), JSON.stringify({ files: {}, package: createHash('sha256').update(dir).digest('hex') }));
}

const meta = (p: string): FileMeta => ({ path: p, type: 'file', size: 1, mode: 0o644, layerIndex: 0, layerDigest: '' });

test('Cargo.lock written by cargo: packages equal cargo metadata, dev-only ones equal what cargo tree leaves out', (t) => {
  if (!requireOrSkip(t, HAVE_CARGO, 'cargo')) return;
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-cargo-'));
  try {
    vendor(root, 'leftpad', 'leftpad', '1.1.0');
    vendor(root, 'leftpad-0.2.0', 'leftpad', '0.2.0');
    vendor(root, 'strutil', 'strutil', '0.4.2', '\n[dependencies]\nleftpad = "0.2"\n');
    vendor(root, 'devhelp', 'devhelp', '0.5.0', '\n[dependencies]\ndevonly = "2"\n');
    vendor(root, 'devonly', 'devonly', '2.0.0');
    vendor(root, 'platdep', 'platdep', '3.0.1');
    write(path.join(root, '.cargo/config.toml'), '[source.crates-io]\nreplace-with = "vendored"\n\n[source.vendored]\ndirectory = "vendor"\n');
    write(path.join(root, 'src/main.rs'), 'fn main() {}\n');
    write(path.join(root, 'Cargo.toml'), [
      '[package]', 'name = "app"', 'version = "0.3.0"', 'edition = "2021"', '',
      '[dependencies]', 'leftpad = "1"', 'strutil = "0.4"', '',
      "[target.'cfg(unix)'.dependencies]", 'plat = { package = "platdep", version = "3" }', '',
      '[dev-dependencies]', 'devhelp = "0.5"', '',
    ].join('\n'));
    const cargo = (args: string[]) => execFileSync('cargo', [...args, '--offline'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    cargo(['generate-lockfile']);
    const all = (JSON.parse(cargo(['metadata', '--format-version', '1'])) as { packages: { name: string; version: string }[] })
      .packages.map((p) => `${p.name}@${p.version}`).sort();
    const nonDev = [...new Set(cargo(['tree', '-e', 'normal,build', '--prefix', 'none']).split('\n')
      .filter((l) => l.trim() !== '').map((l) => { const [n, v] = l.split(' '); return `${n}@${(v ?? '').replace(/^v/, '')}`; }))].sort();
    const direct = cargo(['tree', '-e', 'normal,build', '--prefix', 'none', '--depth', '1']).split('\n').slice(1)
      .filter((l) => l.trim() !== '').map((l) => l.split(' ')[0] as string).sort();

    const fragments = ['Cargo.lock', 'Cargo.toml'].map((name) => {
      const value = cargoLockAnalyzer.analyze({ path: `app/${name}`, content: readFileSync(path.join(root, name)), meta: meta(`app/${name}`) });
      assert.ok(value && !(value instanceof Promise));
      return { path: `app/${name}`, layerIndex: 0, layerDigest: '', value };
    });
    const pkgs = cargoLockAnalyzer.finalize(fragments).packages ?? [];
    assert.deepEqual(pkgs.map((p) => `${p.name}@${p.version}`).sort(), all);
    assert.deepEqual(pkgs.filter((p) => !p.dev).map((p) => `${p.name}@${p.version}`).sort(), nonDev);
    assert.deepEqual(pkgs.filter((p) => p.indirect === false).map((p) => p.name).sort(), direct);
    assert.deepEqual(pkgs.filter((p) => p.dev).map((p) => p.name).sort(), ['devhelp', 'devonly']);
    assert.deepEqual(pkgs.find((p) => p.name === 'app')?.metadata, { local: true });
    assert.match(String(pkgs.find((p) => p.name === 'leftpad' && p.version === '0.2.0')?.metadata?.checksum), /^[0-9a-f]{64}$/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
