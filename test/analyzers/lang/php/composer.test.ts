import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { haveSharedData, sharedData } from '../../../helpers/shared-data.ts';
import { parseComposerLock, parseInstalledJson } from '../../../../src/analyzers/lang/php/composer.ts';
import { analyzeComposerFile, composerRequired, finalizeComposer } from '../../../../src/analyzers/lang/php/index.ts';
import type { ComposerFragment } from '../../../../src/analyzers/lang/php/index.ts';
import type { Fragment } from '../../../../src/analyzers/types.ts';
import { fixtureCases } from '../npm/pkgdb-fixtures.ts';

function golden(name: string, target: string): string[] {
  const index = JSON.parse(readFileSync(sharedData('trivy-integration', 'goldens', 'repo', '_index.json'), 'utf8')) as
    { golden: string; results: { target: string; packages: string[] }[] }[];
  const r = index.find((x) => x.golden === `repo/${name}`)?.results.find((x) => x.target === target);
  assert.ok(r, name);
  return r.packages.slice().sort();
}
const frag = (path: string, doc: unknown): Fragment<ComposerFragment> =>
  ({ path, layerIndex: 0, layerDigest: 'sha256:cc', value: analyzeComposerFile(path, Buffer.from(JSON.stringify(doc))) });
const ids = (p: { name: string; version: string }[]): string[] => p.map((x) => `${x.name}@${x.version}`).sort();

describe('composer', () => {
  test('composer.lock matches the pkgdb fixture exactly (name, version, dev, licenses)', (t) => {
    if (!haveSharedData(t, 'pkgdb-fixtures', 'composer')) return;
    const [c] = fixtureCases('composer');
    assert.ok(c);
    const input = c.inputs.find((i) => i.rel === 'composer.lock');
    assert.ok(input);
    const got = parseComposerLock(readFileSync(input.abs), input.rel).map((p) => JSON.stringify([p.name, p.version, Boolean(p.dev), p.licenses ?? []])).sort();
    const want = c.expected.map((e) => JSON.stringify([e.Name, e.Version, Boolean(e.Dev), e.Licenses ?? []])).sort();
    assert.deepEqual(got, want);
  });

  test('composer.lock and installed.json match the trivy goldens', (t) => {
    if (!haveSharedData(t, 'trivy-integration', 'repo', 'composer')) return;
    const repo = (...p: string[]): Buffer => readFileSync(sharedData('trivy-integration', 'repo', ...p));
    assert.deepEqual(ids(parseComposerLock(repo('composer', 'composer.lock'), 'composer.lock')), golden('composer.lock.json.golden', 'composer.lock'));
    assert.deepEqual(ids(parseInstalledJson(repo('composer-vendor', 'installed.json'), 'installed.json')), golden('composer.vendor.json.golden', 'installed.json'));
  });

  test('installed.json: Composer 1 array and Composer 2 object with dev-package-names', () => {
    const v1 = parseInstalledJson(Buffer.from(JSON.stringify([{ name: 'a/b', version: 'v1.0.0', license: ['MIT'] }])), 'installed.json');
    assert.deepEqual(v1, [{ name: 'a/b', version: 'v1.0.0', dev: false, licenses: ['MIT'] }]);
    const v2 = parseInstalledJson(Buffer.from(JSON.stringify({ packages: [{ name: 'a/b', version: '1.0.0' }, { name: 'c/d', version: '2.0.0' }], dev: true, 'dev-package-names': ['c/d'] })), 'installed.json');
    assert.deepEqual(v2.map((p) => [p.name, p.dev]), [['a/b', false], ['c/d', true]]);
    assert.throws(() => parseInstalledJson(Buffer.from('{"packages": 3}'), 'vendor/composer/installed.json'), /vendor\/composer\/installed\.json: expected an array/);
  });

  test('an installed vendor dir supersedes its project lockfile; purls are Packagist-style', () => {
    const out = finalizeComposer([
      frag('var/www/composer.lock', { packages: [{ name: 'a/b', version: '1.0.0' }], 'packages-dev': [{ name: 'phpunit/phpunit', version: '9.0.0' }] }),
      frag('var/www/vendor/composer/installed.json', { packages: [{ name: 'a/b', version: '1.0.0' }] }),
      frag('srv/other/composer.lock', { packages: [{ name: 'Symfony/Console', version: 'v6.0.0' }] }),
    ]).packages ?? [];
    assert.deepEqual(out.map((p) => [p.name, p.version, p.purl, p.locations[0]?.path]), [
      ['Symfony/Console', 'v6.0.0', 'pkg:composer/symfony/console@v6.0.0', 'srv/other/composer.lock'],
      ['a/b', '1.0.0', 'pkg:composer/a/b@1.0.0', 'var/www/vendor/composer/installed.json'],
    ]);
    assert.equal(composerRequired('var/www/vendor/composer/installed.json'), true);
    assert.equal(composerRequired('var/www/vendor/a/b/composer.json'), false);
  });

  test('a custom config.vendor-dir: its composer/installed.json is read and supersedes the project lockfile', () => {
    // `"config": {"vendor-dir": "lib"}` makes Composer write lib/composer/installed.json.
    assert.equal(composerRequired('app/lib/composer/installed.json'), true);
    assert.equal(composerRequired('lib/composer/installed.json'), true);
    assert.equal(composerRequired('app/composer/installed.json.bak'), false);
    assert.equal(composerRequired('installed.json'), false);
    // A package under vendor/ may ship the composer.lock of its own development.
    assert.equal(composerRequired('app/vendor/monolog/monolog/composer.lock'), false);
    assert.equal(composerRequired('app/composer.lock'), true);
    const out = finalizeComposer([
      frag('app/composer.lock', { packages: [{ name: 'a/b', version: '1.0.0' }], 'packages-dev': [{ name: 'phpunit/phpunit', version: '9.0.0' }] }),
      frag('app/lib/composer/installed.json', { packages: [{ name: 'a/b', version: '1.0.0' }] }),
      // A dependency's own development lockfile inside the (custom) vendor dir.
      frag('app/lib/a/b/composer.lock', { packages: [{ name: 'x/only-in-dev-lock', version: '0.1.0' }] }),
      // Nested vendor dir two levels down still belongs to its project's lockfile.
      frag('web/composer.lock', { packages: [{ name: 'c/d', version: '2.0.0' }] }),
      frag('web/var/deps/composer/installed.json', { packages: [{ name: 'c/d', version: '2.0.0' }] }),
      frag('other/composer.lock', { packages: [{ name: 'e/f', version: '3.0.0' }] }),
    ]).packages ?? [];
    assert.deepEqual(out.map((p) => [p.name, p.locations.map((l) => l.path)]), [
      ['a/b', ['app/lib/composer/installed.json']],
      ['c/d', ['web/var/deps/composer/installed.json']],
      ['e/f', ['other/composer.lock']],
    ]);
  });
});
