/**
 * Real-world check: install real packages from the npm registry into a temp dir and compare the
 * analyzer's inventory with `npm ls --all --json` (the hidden e2e check does the same on images).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireOrSkip } from '../../../helpers/shared-data.ts';
import { analyzeNpmFile, finalizeNpm, npmRequired } from '../../../../src/analyzers/lang/npm/index.ts';
import type { NpmFragment } from '../../../../src/analyzers/lang/npm/index.ts';
import { parsePackageLock } from '../../../../src/analyzers/lang/npm/package-lock.ts';
import type { Fragment } from '../../../../src/analyzers/types.ts';
import { inventoryTarget } from '../../../../src/scan/pipeline.ts';
import { buildImage, layerFromDirectory, writeOciLayout } from '../../../helpers/image-builder.ts';

interface LsNode { version?: string; missing?: boolean; dependencies?: Record<string, LsNode> }

/** Flattens `npm ls --all --json` into the set of name@version it lists (root excluded). */
function flattenLs(node: LsNode, out = new Set<string>()): Set<string> {
  for (const [name, dep] of Object.entries(node.dependencies ?? {})) {
    if (dep.version && !dep.missing) out.add(`${name}@${dep.version}`);
    flattenLs(dep, out);
  }
  return out;
}

function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

function registryReachable(): boolean {
  const r = spawnSync('npm', ['ping', '--no-audit'], { timeout: 20_000, stdio: 'ignore' });
  return r.status === 0;
}

test('node_modules and package-lock.json inventories equal `npm ls --all` after a real npm install', { timeout: 180_000 }, async (t) => {
  if (!requireOrSkip(t, registryReachable(), 'npm registry')) return;
  const base = mkdtempSync(path.join(tmpdir(), 'pw-npm-real-'));
  // The project sits at srv/app inside `root`, which becomes an image layer at the end.
  const root = path.join(base, 'root');
  const dir = path.join(root, 'srv', 'app');
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'probe', version: '1.0.0', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error',
      'express@4', 'lodash', '@types/node', 'debug'], { cwd: dir, stdio: 'pipe', timeout: 150_000 });
    // A package.json inside a package's test fixtures is not an installed package (npm ls ignores it).
    mkdirSync(path.join(dir, 'node_modules/express/test/fixtures/node_modules/fake'), { recursive: true });
    writeFileSync(path.join(dir, 'node_modules/express/test/fixtures/node_modules/fake/package.json'), '{"name":"fake","version":"6.6.6"}');
    // An extraneous package (present, not in any manifest): npm ls --all lists it too.
    mkdirSync(path.join(dir, 'node_modules/leftover'), { recursive: true });
    writeFileSync(path.join(dir, 'node_modules/leftover/package.json'), '{"name":"leftover","version":"0.0.1"}');

    const ls = JSON.parse(execFileSync('npm', ['ls', '--all', '--json'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).toString()) as LsNode;
    const expected = [...flattenLs(ls)].sort();
    assert.ok(expected.length > 50, `npm ls listed ${expected.length} packages`);
    assert.ok(expected.includes('leftover@0.0.1'));

    const fragments: Fragment<NpmFragment>[] = [];
    for (const rel of walk(dir)) {
      const imagePath = `srv/app/${rel}`;
      if (!npmRequired(imagePath)) continue;
      const value = analyzeNpmFile(imagePath, readFileSync(path.join(dir, rel)));
      if (value) fragments.push({ path: imagePath, layerIndex: 0, layerDigest: 'sha256:l0', value });
    }
    const packages = finalizeNpm(fragments).packages ?? [];
    const got = [...new Set(packages.map((p) => `${p.name}@${p.version}`))].sort();
    assert.deepEqual(got, expected);
    assert.equal(got.length, packages.length, 'one record per name@version');
    assert.ok(packages.every((p) => p.locations.every((l) => l.path.startsWith('srv/app/node_modules/') && l.path.endsWith('/package.json'))));
    assert.ok(packages.every((p) => p.purl.startsWith('pkg:npm/')));
    assert.ok(packages.every((p) => p.dev === false || p.name === 'leftover'));

    const lock = parsePackageLock(readFileSync(path.join(dir, 'package-lock.json')), 'package-lock.json');
    const fromLock = [...new Set(lock.packages.map((p) => `${p.name}@${p.version}`))].sort();
    assert.deepEqual(fromLock, expected.filter((p) => p !== 'leftover@0.0.1'));
    const direct = lock.packages.filter((p) => p.indirect === false).map((p) => p.name).sort();
    assert.deepEqual(direct, ['@types/node', 'debug', 'express', 'lodash']);

    // The same directory through the whole scan pipeline (dir: source, walker, every analyzer, inventory builder).
    const report = await inventoryTarget(`dir:${dir}`);
    const viaPipeline = [...new Set(report.packages.filter((p) => p.type === 'npm').map((p) => `${p.name}@${p.version}`))].sort();
    assert.deepEqual(viaPipeline, expected);

    // As an OCI image: layer 0 is the install, layer 1 deletes lodash (whiteout, as `npm uninstall`
    // in a later RUN would) and adds a Python distribution and an installed gem.
    const lodash = expected.find((p) => p.startsWith('lodash@'));
    assert.ok(lodash);
    const layer0 = await layerFromDirectory(root);
    const image = await buildImage({
      layers: [layer0, { files: [
        { path: 'srv/app/node_modules/.wh.lodash', content: '' },
        { path: 'usr/lib/python3.11/site-packages/Flask-2.0.0.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: Flask\nVersion: 2.0.0\n' },
        { path: 'usr/local/bundle/specifications/rake-13.0.3.gemspec', content: 'Gem::Specification.new do |s|\n  s.name = "rake".freeze\n  s.version = "13.0.3"\nend\n' },
      ] }],
    });
    const layout = path.join(base, 'layout');
    await writeOciLayout(layout, image, 'latest');
    const imageReport = await inventoryTarget(`oci:${layout}:latest`);
    const npmInImage = [...new Set(imageReport.packages.filter((p) => p.type === 'npm').map((p) => `${p.name}@${p.version}`))].sort();
    assert.deepEqual(npmInImage, expected.filter((p) => p !== lodash));
    const others = imageReport.packages.filter((p) => p.type === 'python' || p.type === 'gem').map((p) => `${p.purl} ${p.locations[0]?.layer === image.layers[1]?.digest}`).sort();
    assert.deepEqual(others, ['pkg:gem/rake@13.0.3 true', 'pkg:pypi/flask@2.0.0 true']);
    const express = imageReport.packages.find((p) => p.name === 'express');
    assert.equal(express?.locations[0]?.layer, image.layers[0]?.digest);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('the global npm tree (as in node: images, bundled deps included) equals `npm ls -g --all`', (t) => {
  const rootRun = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' });
  const globalRoot = rootRun.status === 0 ? rootRun.stdout.trim() : '';
  if (!requireOrSkip(t, globalRoot.endsWith('node_modules'), 'npm with a global node_modules')) return;
  const prefixDir = path.dirname(globalRoot);
  const fragments: Fragment<NpmFragment>[] = [];
  for (const rel of walk(prefixDir, 'node_modules')) {
    const imagePath = `${prefixDir.slice(1)}/${rel}`;
    if (!npmRequired(imagePath)) continue;
    const value = analyzeNpmFile(imagePath, readFileSync(path.join(prefixDir, rel)));
    if (value) fragments.push({ path: imagePath, layerIndex: 0, layerDigest: 'sha256:l0', value });
  }
  const got = (finalizeNpm(fragments).packages ?? []).map((p) => `${p.name}@${p.version}`).sort();
  const ls = JSON.parse(execFileSync('npm', ['ls', '-g', '--all', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).toString()) as LsNode;
  const expected = [...flattenLs(ls)].sort();
  assert.ok(expected.some((p) => p.startsWith('npm@')));
  assert.deepEqual(got, expected);
});

test('an npm workspaces project: members (symlinked into node_modules) and their dependencies equal `npm ls --all`', { timeout: 180_000 }, (t) => {
  if (!requireOrSkip(t, registryReachable(), 'npm registry')) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-npm-ws-'));
  try {
    const write = (rel: string, doc: unknown): void => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), JSON.stringify(doc));
    };
    write('package.json', { name: 'mono', version: '1.0.0', private: true, workspaces: ['packages/*'], dependencies: { debug: '^4.3.0' } });
    write('packages/a/package.json', { name: '@me/a', version: '1.2.0', license: 'ISC', dependencies: { ms: '2.0.0' } });
    write('packages/b/package.json', { name: 'b-tool', version: '0.3.0', dependencies: { '@me/a': '*' } });
    // Not a workspace (outside the glob): never a package.
    write('tools/c/package.json', { name: 'c', version: '9.9.9' });
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: dir, stdio: 'pipe', timeout: 150_000 });
    const ls = JSON.parse(execFileSync('npm', ['ls', '--all', '--json'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).toString()) as LsNode;
    const expected = [...flattenLs(ls)].sort();
    assert.ok(expected.includes('@me/a@1.2.0') && expected.includes('b-tool@0.3.0'));

    const fragments: Fragment<NpmFragment>[] = [];
    for (const rel of walk(dir)) {
      const imagePath = `app/${rel}`;
      if (!npmRequired(imagePath)) continue;
      const value = analyzeNpmFile(imagePath, readFileSync(path.join(dir, rel)));
      if (value) fragments.push({ path: imagePath, layerIndex: 0, layerDigest: '', value });
    }
    const packages = finalizeNpm(fragments).packages ?? [];
    assert.deepEqual([...new Set(packages.map((p) => `${p.name}@${p.version}`))].sort(), expected);
    const member = packages.find((p) => p.name === '@me/a');
    assert.deepEqual(member?.metadata, { workspace: true });
    assert.deepEqual(member?.locations.map((l) => l.path), ['app/packages/a/package.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
