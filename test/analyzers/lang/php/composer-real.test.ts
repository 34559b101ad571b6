/**
 * Real Composer (Debian's composer package): installs a project from local path repositories
 * (no network), then the parsed installed.json and composer.lock must equal `composer show`.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireOrSkip } from '../../../helpers/shared-data.ts';
import { parseComposerLock, parseInstalledJson } from '../../../../src/analyzers/lang/php/composer.ts';
import { analyzeComposerFile, composerAnalyzer, finalizeComposer } from '../../../../src/analyzers/lang/php/index.ts';
import type { Analyzer } from '../../../../src/analyzers/types.ts';
import { openSource } from '../../../../src/image/open.ts';
import { walkImage } from '../../../../src/image/walk.ts';

interface ShowEntry { name: string; version: string }

interface ComposerProject {
  dir: string;
  /** Runs composer in `<dir>/app`. */
  run: (args: string[]) => string;
  /** Writes a JSON document at `<dir>/<rel>`. */
  write: (rel: string, doc: unknown) => void;
}

/** A temp dir for an offline Composer project (no network, own home and cache); undefined when composer is missing (skip, or fail under CI). */
function composerProject(t: TestContext): ComposerProject | undefined {
  const composer = spawnSync('composer', ['--version'], { stdio: 'ignore', env: { ...process.env, COMPOSER_ALLOW_SUPERUSER: '1' } });
  if (!requireOrSkip(t, composer.status === 0, 'composer (apt-get install composer)')) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-composer-'));
  const env = { ...process.env, COMPOSER_ALLOW_SUPERUSER: '1', COMPOSER_HOME: path.join(dir, '.home'), COMPOSER_CACHE_DIR: path.join(dir, '.cache'), COMPOSER_NO_INTERACTION: '1' };
  return {
    dir,
    run: (args) => execFileSync('composer', args, { cwd: path.join(dir, 'app'), env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    write: (rel, doc) => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), JSON.stringify(doc));
    },
  };
}

test('installed.json and composer.lock equal `composer show` (with and without dev packages)', { timeout: 180_000 }, (t) => {
  const project = composerProject(t);
  if (!project) return;
  const { dir, run, write } = project;
  try {
    write('pkgs/a/composer.json', { name: 'acme/a', version: '1.2.3', license: 'MIT', require: { 'acme/b': '^2.0' } });
    write('pkgs/b/composer.json', { name: 'acme/b', version: 'v2.0.1', license: ['BSD-3-Clause', 'MIT'] });
    write('pkgs/t/composer.json', { name: 'acme/testkit', version: '0.9.0' });
    write('app/composer.json', {
      name: 'acme/app',
      repositories: [{ 'packagist.org': false }, { type: 'path', url: '../pkgs/*', options: { symlink: false } }],
      require: { 'acme/a': '*' }, 'require-dev': { 'acme/testkit': '*' },
    });
    run(['install', '--no-scripts', '--no-progress']);
    const show = (args: string[]): string[] => {
      const listed = JSON.parse(run(['show', '--format=json', ...args])) as { installed?: ShowEntry[]; locked?: ShowEntry[] };
      return (listed.installed ?? listed.locked ?? []).map((p) => `${p.name}@${p.version}`).sort();
    };
    const ids = (p: { name: string; version: string }[]): string[] => p.map((x) => `${x.name}@${x.version}`).sort();

    const installedJson = readFileSync(path.join(dir, 'app/vendor/composer/installed.json'));
    const installed = parseInstalledJson(installedJson, 'vendor/composer/installed.json');
    assert.deepEqual(ids(installed), show([]));
    assert.deepEqual(ids(installed), ['acme/a@1.2.3', 'acme/b@v2.0.1', 'acme/testkit@0.9.0']);
    assert.deepEqual(installed.filter((p) => p.dev).map((p) => p.name), ['acme/testkit']);
    assert.deepEqual(installed.find((p) => p.name === 'acme/b')?.licenses, ['BSD-3-Clause', 'MIT']);

    const lockText = readFileSync(path.join(dir, 'app/composer.lock'));
    const locked = parseComposerLock(lockText, 'composer.lock');
    assert.deepEqual(ids(locked), show(['--locked']));

    // A production install leaves dev packages out; the analyzer then follows the vendor dir.
    run(['install', '--no-dev', '--no-scripts', '--no-progress']);
    const prodJson = readFileSync(path.join(dir, 'app/vendor/composer/installed.json'));
    assert.deepEqual(ids(parseInstalledJson(prodJson, 'installed.json')), show([]));
    const out = finalizeComposer([
      { path: 'app/composer.lock', layerIndex: 0, layerDigest: '', value: analyzeComposerFile('app/composer.lock', lockText) },
      { path: 'app/vendor/composer/installed.json', layerIndex: 0, layerDigest: '', value: analyzeComposerFile('app/vendor/composer/installed.json', prodJson) },
    ]).packages ?? [];
    assert.deepEqual(ids(out), ['acme/a@1.2.3', 'acme/b@v2.0.1']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a project with config.vendor-dir, scanned as a directory, equals `composer show`; a dependency\'s own composer.lock is not read', { timeout: 180_000 }, async (t) => {
  const project = composerProject(t);
  if (!project) return;
  const { dir, run, write } = project;
  try {
    write('pkgs/a/composer.json', { name: 'acme/a', version: '1.2.3' });
    // The dependency's development lockfile, copied into the vendor dir with the package.
    write('pkgs/a/composer.lock', { packages: [{ name: 'acme/only-in-a-dev-lock', version: '0.0.1' }], 'packages-dev': [] });
    write('app/composer.json', {
      name: 'acme/app',
      config: { 'vendor-dir': 'lib/deps' },
      repositories: [{ 'packagist.org': false }, { type: 'path', url: '../pkgs/*', options: { symlink: false } }],
      require: { 'acme/a': '*' },
    });
    run(['install', '--no-scripts', '--no-progress']);
    const listed = JSON.parse(run(['show', '--format=json'])) as { installed?: ShowEntry[] };
    const oracle = (listed.installed ?? []).map((p) => `${p.name}@${p.version}`).sort();
    assert.deepEqual(oracle, ['acme/a@1.2.3']);

    const source = await openSource(`dir:${dir}/app`);
    let packages;
    try {
      packages = (await walkImage(source, { analyzers: [composerAnalyzer as Analyzer] })).outputs.get('composer')?.packages ?? [];
    } finally {
      await source.close();
    }
    assert.deepEqual(packages.map((p) => `${p.name}@${p.version}`).sort(), oracle);
    assert.deepEqual(packages.map((p) => p.locations[0]?.path), ['lib/deps/composer/installed.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
