import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { haveSharedData, sharedData } from '../../../helpers/shared-data.ts';
import { parsePackageLock } from '../../../../src/analyzers/lang/npm/package-lock.ts';
import { parseYarnLock, classifyYarnEntries } from '../../../../src/analyzers/lang/npm/yarn-lock.ts';
import { parsePnpmLock } from '../../../../src/analyzers/lang/npm/pnpm-lock.ts';
import { parseBunLock, stripJsonc } from '../../../../src/analyzers/lang/npm/bun-lock.ts';
import { analyzeNpmFile, finalizeNpm, npmRequired } from '../../../../src/analyzers/lang/npm/index.ts';
import type { NpmFragment } from '../../../../src/analyzers/lang/npm/index.ts';
import type { Fragment } from '../../../../src/analyzers/types.ts';
import { fixtureCases, indirectOf } from './pkgdb-fixtures.ts';

describe('package-lock.json against the pkgdb fixtures', () => {
  test('every npm case matches name, version, dev, relationship and licenses exactly', (t) => {
    if (!haveSharedData(t, 'pkgdb-fixtures', 'npm')) return;
    const cases = fixtureCases('npm');
    assert.equal(cases.length, 5);
    for (const c of cases) {
      const input = c.inputs.find((i) => i.rel === 'package-lock.json');
      assert.ok(input, c.name);
      const lock = parsePackageLock(readFileSync(input.abs), input.rel);
      const got = lock.packages
        .map((p) => JSON.stringify([p.name, p.version, Boolean(p.dev), p.indirect ?? null, p.licenses ?? null]))
        .sort();
      const want = c.expected
        .map((e) => JSON.stringify([e.Name, e.Version, Boolean(e.Dev), indirectOf(e.Relationship) ?? null, (e.Licenses as string[] | undefined) ?? null]))
        .sort();
      assert.deepEqual(got, want, c.name);
    }
  });

  test('v1 lockfiles do not claim to know direct vs indirect', () => {
    const lock = parsePackageLock(Buffer.from(JSON.stringify({
      lockfileVersion: 1,
      dependencies: { a: { version: '1.0.0', dependencies: { b: { version: '2.0.0', dev: true } } }, local: { version: 'file:../local' } },
    })), 'package-lock.json');
    assert.deepEqual(lock.packages.map((p) => [p.name, p.version, p.dev, p.indirect]), [['a', '1.0.0', false, undefined], ['b', '2.0.0', true, undefined]]);
  });

  test('aliases report the real package name', () => {
    const lock = parsePackageLock(Buffer.from(JSON.stringify({
      lockfileVersion: 1, dependencies: { 'sw-cjs': { version: 'npm:string-width@4.2.3' } },
    })), 'package-lock.json');
    assert.deepEqual(lock.packages.map((p) => `${p.name}@${p.version}`), ['string-width@4.2.3']);
  });

  test('a package present twice is one record, dev only when every copy is dev', () => {
    const lock = parsePackageLock(Buffer.from(JSON.stringify({
      lockfileVersion: 3,
      packages: {
        '': { dependencies: { a: '1' }, devDependencies: { b: '1' } },
        'node_modules/a': { version: '1.0.0' },
        'node_modules/b': { version: '1.0.0', dev: true },
        'node_modules/b/node_modules/ms': { version: '2.0.0', dev: true },
        'node_modules/a/node_modules/ms': { version: '2.0.0' },
      },
    })), 'package-lock.json');
    const ms = lock.packages.filter((p) => p.name === 'ms');
    assert.equal(ms.length, 1);
    assert.equal(ms[0]?.dev, false);
    assert.equal(ms[0]?.indirect, true);
    assert.equal(lock.installPaths.get('node_modules/b')?.dev, true);
  });

  test('an aliased install is reported under the real name with the alias as metadata', () => {
    const v = analyzeNpmFile('app/node_modules/sw/package.json', Buffer.from('{"name":"string-width","version":"4.2.3"}'));
    assert.ok(v?.kind === 'installed');
    assert.deepEqual([v.pkg.name, v.pkg.version, v.pkg.metadata], ['string-width', '4.2.3', { alias: 'sw' }]);
  });

  test('lockfiles inside installed packages of any ecosystem are not read', () => {
    // Regression: Debian's libruby3.1 (and the ruby images' bundled gems) ship
    // gems/typeprof-0.21.2/vscode/package-lock.json, the lockfile of typeprof's editor extension.
    assert.equal(npmRequired('usr/lib/ruby/gems/3.1.0/gems/typeprof-0.21.2/vscode/package-lock.json'), false);
    assert.equal(npmRequired('usr/lib/python3/dist-packages/notebook/static/yarn.lock'), false);
    assert.equal(npmRequired('app/node_modules/left-pad/package-lock.json'), false);
    assert.equal(npmRequired('app/package-lock.json'), true);
    assert.equal(npmRequired('srv/web/yarn.lock'), true);
  });

  test('corrupt input names the file', () => {
    assert.throws(() => parsePackageLock(Buffer.from('{"lockfileVersion": 2, "packages": {'), 'app/package-lock.json'), /app\/package-lock\.json: invalid JSON/);
    assert.throws(() => parsePackageLock(Buffer.from('[1]'), 'x/package-lock.json'), /x\/package-lock\.json: expected a JSON object/);
  });
});

function trivyRepo(...p: string[]): string {
  return sharedData('trivy-integration', 'repo', ...p);
}

function goldenPackages(golden: string, target: string): string[] {
  const index = JSON.parse(readFileSync(sharedData('trivy-integration', 'goldens', 'repo', '_index.json'), 'utf8')) as
    { golden: string; results: { target: string; packages: string[] }[] }[];
  const g = index.find((x) => x.golden === `repo/${golden}`);
  const r = g?.results.find((x) => x.target === target);
  assert.ok(r, `${golden} ${target}`);
  return r.packages;
}

describe('trivy integration repo fixtures (npm family)', () => {
  test('package-lock.json: production packages match npm.json.golden, all match npm-with-dev', (t) => {
    if (!haveSharedData(t, 'trivy-integration', 'repo', 'npm')) return;
    const lock = parsePackageLock(readFileSync(trivyRepo('npm', 'package-lock.json')), 'package-lock.json');
    assert.deepEqual(lock.packages.filter((p) => !p.dev).map((p) => `${p.name}@${p.version}`).sort(), goldenPackages('npm.json.golden', 'package-lock.json').sort());
    assert.deepEqual(
      lock.packages.map((p) => `${p.name}@${p.version}${p.dev ? ' (dev)' : ''}`).sort(),
      goldenPackages('npm-with-dev.json.golden', 'package-lock.json').sort(),
    );
  });

  test('yarn.lock with its package.json: non-dev packages match yarn.json.golden (root project aside)', (t) => {
    if (!haveSharedData(t, 'trivy-integration', 'repo', 'yarn')) return;
    const entries = parseYarnLock(readFileSync(trivyRepo('yarn', 'yarn.lock')), 'yarn.lock');
    const manifest = JSON.parse(readFileSync(trivyRepo('yarn', 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const classified = classifyYarnEntries(entries, {
      dependencies: Object.entries(manifest.dependencies), devDependencies: Object.entries(manifest.devDependencies),
    });
    // Trivy also lists the project itself (integration@1.0.0) from package.json; we report dependencies only, like `npm ls`.
    const want = goldenPackages('yarn.json.golden', 'yarn.lock').filter((p) => p !== 'integration@1.0.0');
    assert.deepEqual(classified.filter((p) => !p.dev).map((p) => `${p.name}@${p.version}`).sort(), want.sort());
    assert.equal(classified.find((p) => p.name === 'asap')?.dev, true);
    assert.equal(classified.find((p) => p.name === 'jquery')?.indirect, false);
  });

  test('pnpm-lock.yaml (6.0) matches pnpm.json.golden', (t) => {
    if (!haveSharedData(t, 'trivy-integration', 'repo', 'pnpm')) return;
    const pkgs = parsePnpmLock(readFileSync(trivyRepo('pnpm', 'pnpm-lock.yaml')), 'pnpm-lock.yaml');
    assert.deepEqual(pkgs.map((p) => `${p.name}@${p.version}`).sort(), goldenPackages('pnpm.json.golden', 'pnpm-lock.yaml').sort());
    assert.ok(pkgs.every((p) => p.dev === false && p.indirect === false));
  });

  test('bun.lock: non-dev packages match bun.json.golden', (t) => {
    if (!haveSharedData(t, 'trivy-integration', 'repo', 'bun')) return;
    const pkgs = parseBunLock(readFileSync(trivyRepo('bun', 'bun.lock')), 'bun.lock');
    assert.deepEqual(pkgs.filter((p) => !p.dev).map((p) => `${p.name}@${p.version}`).sort(), goldenPackages('bun.json.golden', 'bun.lock').sort());
    assert.deepEqual(pkgs.filter((p) => p.dev).map((p) => p.name).sort(), ['@types/bun', '@types/node', 'bun-types', 'undici-types']);
    assert.deepEqual(pkgs.filter((p) => p.indirect === false).map((p) => p.name).sort(), ['@types/bun', 'jquery', 'typescript']);
  });

  test('bun.lock: nested copies resolve nearest-first; JSONC comments and trailing commas are accepted', () => {
    assert.deepEqual(JSON.parse(stripJsonc('{"a": "x // not, a comment,}", /* c */ "b": [1, 2,], // end\n}')), { a: 'x // not, a comment,}', b: [1, 2] });
    const lock = `{ "lockfileVersion": 1, "workspaces": { "": { "dependencies": { "a": "1" }, "devDependencies": { "b": "1" } } },
      "packages": {
        "a": ["a@1.0.0", "", { "dependencies": { "ms": "1" } }, "sha"],
        "a/ms": ["ms@1.0.0", "", {}, "sha"],
        "b": ["b@1.0.0", "", { "dependencies": { "ms": "2" } }, "sha"],
        "ms": ["ms@2.0.0", "", {}, "sha"],
        "w": ["w@workspace:packages/w", { }],
      } }`;
    const pkgs = parseBunLock(Buffer.from(lock), 'bun.lock');
    assert.deepEqual(pkgs.map((p) => [p.name, p.version, p.dev, p.indirect]), [
      ['a', '1.0.0', false, false], ['ms', '1.0.0', false, true], ['b', '1.0.0', true, false], ['ms', '2.0.0', true, true],
    ]);
  });

  test('installed packages of a yarn project take dev flags from yarn.lock + package.json', (t) => {
    if (!haveSharedData(t, 'trivy-integration', 'repo', 'yarn')) return;
    const fragments: Fragment<NpmFragment>[] = [];
    for (const rel of ['yarn.lock', 'package.json', 'node_modules/jquery/package.json']) {
      const value = analyzeNpmFile(`srv/${rel}`, readFileSync(trivyRepo('yarn', rel)));
      if (value) fragments.push({ path: `srv/${rel}`, layerIndex: 0, layerDigest: '', value });
    }
    // A devDependency installed on disk (as `yarn install` without --production leaves it).
    fragments.push({ path: 'srv/node_modules/promise/package.json', layerIndex: 0, layerDigest: '', value: analyzeNpmFile('srv/node_modules/promise/package.json', Buffer.from('{"name":"promise","version":"8.0.3"}')) ?? assert.fail() });
    const out = finalizeNpm(fragments).packages ?? [];
    assert.deepEqual(out.map((p) => [p.name, p.version, p.dev]), [['jquery', '3.2.1', false], ['promise', '8.0.3', true]]);
  });

  test('a project scanned with node_modules reports installed packages, lockfile only marks dev', (t) => {
    if (!haveSharedData(t, 'trivy-integration', 'repo', 'npm')) return;
    const files = ['package-lock.json', ...['jquery', 'promise', 'z-lock', 'react', 'redux', 'react-is'].map((n) => `node_modules/${n}/package.json`)];
    const fragments: Fragment<NpmFragment>[] = [];
    for (const rel of files) {
      const path = `app/${rel}`;
      const value = analyzeNpmFile(path, readFileSync(trivyRepo('npm', rel)));
      assert.ok(value, rel);
      fragments.push({ path, layerIndex: 0, layerDigest: 'sha256:aa', value });
    }
    const out = finalizeNpm(fragments).packages ?? [];
    assert.deepEqual(out.map((p) => `${p.name}@${p.version}`), ['jquery@3.3.9', 'promise@8.0.3', 'react@16.8.6', 'react-is@16.8.6', 'redux@4.0.1', 'z-lock@1.0.0']);
    assert.equal(out.find((p) => p.name === 'z-lock')?.dev, true);
    assert.deepEqual(out.find((p) => p.name === 'jquery')?.locations, [{ layer: 'sha256:aa', path: 'app/node_modules/jquery/package.json' }]);
    assert.equal(out.find((p) => p.name === 'react')?.purl, 'pkg:npm/react@16.8.6');
    assert.deepEqual(out.find((p) => p.name === 'react')?.licenses, ['MIT']);
  });
});
