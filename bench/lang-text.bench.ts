/**
 * Text-format language inventory throughput: synthetic lockfiles at the size of large real
 * monorepos (package-lock v3, yarn.lock classic, pnpm-lock 9, poetry.lock, requirements.txt,
 * composer.lock, deps.json) and an installed node_modules tree pushed through analyze + finalize.
 * Run: npm run bench -- lang-text
 */
import { parsePackageLock } from '../src/analyzers/lang/npm/package-lock.ts';
import { parseYarnLock } from '../src/analyzers/lang/npm/yarn-lock.ts';
import { parsePnpmLock } from '../src/analyzers/lang/npm/pnpm-lock.ts';
import { analyzeNpmFile, finalizeNpm } from '../src/analyzers/lang/npm/index.ts';
import type { NpmFragment } from '../src/analyzers/lang/npm/index.ts';
import { parsePoetryLock, parseRequirements } from '../src/analyzers/lang/python/lockfiles.ts';
import { parseCoreMetadata } from '../src/analyzers/lang/python/metadata.ts';
import { parseComposerLock } from '../src/analyzers/lang/php/composer.ts';
import { parseDepsJson } from '../src/analyzers/lang/dotnet/deps-json.ts';
import { parseGemfileLock } from '../src/analyzers/lang/ruby/gemfile-lock.ts';
import type { Fragment } from '../src/analyzers/types.ts';
import { machineLine, MiB, mibPerSecond, perSecond, repeatFor, resultLine } from './lib.ts';

function bench(label: string, bytes: number, fn: () => number): void {
  const t = repeatFor(fn);
  console.log(resultLine(label, t, `${mibPerSecond(bytes, t.wallMs).padStart(10)} ${perSecond(t.value, t.wallMs).padStart(10)} pkgs/s (${t.value} pkgs, ${(bytes / MiB).toFixed(1)} MiB)`, 52));
}

console.log(machineLine());

const N = 20_000;
const name = (i: number): string => (i % 5 === 0 ? `@scope${i % 97}/pkg-${i}` : `pkg-${i}`);

const packageLock = Buffer.from(JSON.stringify({
  name: 'mono', lockfileVersion: 3,
  packages: Object.fromEntries([
    ['', { name: 'mono', dependencies: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [name(i), '^1.0.0'])) }],
    ...Array.from({ length: N }, (_, i) => [
      i % 3 === 0 ? `node_modules/${name(i % 1000)}/node_modules/${name(i)}` : `node_modules/${name(i)}`,
      { version: `1.${i % 50}.${i % 7}`, resolved: `https://registry.npmjs.org/${name(i)}/-/x-1.0.0.tgz`, integrity: 'sha512-AAAA', license: 'MIT', dev: i % 4 === 0, dependencies: { [name(i + 1)]: '^1.0.0' } },
    ]),
  ]),
}));

const yarnLock = Buffer.from('# yarn lockfile v1\n\n' + Array.from({ length: N }, (_, i) =>
  `"${name(i)}@^1.0.0", "${name(i)}@^1.${i % 50}.0":\n  version "1.${i % 50}.${i % 7}"\n  resolved "https://registry.yarnpkg.com/${name(i)}/-/x.tgz#abc"\n  integrity sha512-AAAA\n  dependencies:\n    "${name(i + 1)}" "^1.0.0"\n`).join('\n'));

const pnpmLock = Buffer.from(`lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n${Array.from({ length: 200 }, (_, i) => `      '${name(i)}':\n        specifier: ^1.0.0\n        version: 1.${i % 50}.${i % 7}\n`).join('')}\npackages:\n${Array.from({ length: N }, (_, i) => `  '${name(i)}@1.${i % 50}.${i % 7}':\n    resolution: {integrity: sha512-AAAA}\n`).join('\n')}\nsnapshots:\n${Array.from({ length: N }, (_, i) => `  '${name(i)}@1.${i % 50}.${i % 7}':\n    dependencies:\n      '${name(i + 1)}': 1.${(i + 1) % 50}.${(i + 1) % 7}\n`).join('\n')}`);

const P = 5_000;
const poetryLock = Buffer.from(Array.from({ length: P }, (_, i) => `[[package]]\nname = "py-pkg-${i}"\nversion = "1.${i % 30}.0"\ndescription = "x"\noptional = false\npython-versions = ">=3.8"\nfiles = [\n    {file = "py_pkg-1.0.0-py3-none-any.whl", hash = "sha256:00"},\n]\n\n[package.dependencies]\npy-pkg-${i + 1} = ">=1.0"\n`).join('\n'));
const requirements = Buffer.from(Array.from({ length: P }, (_, i) => `py-pkg-${i}[extra]==1.${i % 30}.0 ; python_version >= "3.8" \\\n    --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000\n`).join(''));
const metadata = Buffer.from('Metadata-Version: 2.1\nName: big\nVersion: 1.0\n' + 'Classifier: Programming Language :: Python :: 3\n'.repeat(40) + 'License: MIT\n\n' + 'long description\n'.repeat(5000));
const composerLock = Buffer.from(JSON.stringify({ packages: Array.from({ length: P }, (_, i) => ({ name: `vendor${i % 50}/php-${i}`, version: `v1.${i % 30}.0`, license: ['MIT'], require: { php: '>=8.1' } })), 'packages-dev': [] }));
const depsJson = Buffer.from(JSON.stringify({
  runtimeTarget: { name: 'net8' },
  targets: { net8: Object.fromEntries([['App/1.0.0', { dependencies: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`Nu.Pkg${i}`, '1.0.0'])) }], ...Array.from({ length: P }, (_, i) => [`Nu.Pkg${i}/1.0.0`, { runtime: { [`lib/net8.0/Nu.Pkg${i}.dll`]: {} }, dependencies: { [`Nu.Pkg${i + 1}`]: '1.0.0' } }])]) },
  libraries: Object.fromEntries([['App/1.0.0', { type: 'project' }], ...Array.from({ length: P }, (_, i) => [`Nu.Pkg${i}/1.0.0`, { type: 'package', sha512: 'sha512-AA', path: `nu.pkg${i}/1.0.0` }])]),
}));
const gemfileLock = Buffer.from(`GEM\n  remote: https://rubygems.org/\n  specs:\n${Array.from({ length: P }, (_, i) => `    gem-${i} (1.${i % 30}.0)\n      gem-${i + 1} (>= 1.0)\n`).join('')}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${Array.from({ length: 100 }, (_, i) => `  gem-${i}\n`).join('')}`);

const installedFiles = Array.from({ length: 3_000 }, (_, i) => ({
  path: i % 3 === 0 ? `app/node_modules/${name(i % 500)}/node_modules/${name(i)}/package.json` : `app/node_modules/${name(i)}/package.json`,
  content: Buffer.from(JSON.stringify({ name: name(i), version: `1.${i % 50}.0`, license: 'MIT', description: 'x'.repeat(400), dependencies: { a: '^1' } })),
}));

bench('package-lock.json v3, 20k entries', packageLock.length, () => parsePackageLock(packageLock, 'package-lock.json').packages.length);
bench('yarn.lock classic, 20k blocks', yarnLock.length, () => parseYarnLock(yarnLock, 'yarn.lock').length);
bench('pnpm-lock.yaml 9.0, 20k packages + snapshots', pnpmLock.length, () => parsePnpmLock(pnpmLock, 'pnpm-lock.yaml').length);
bench('node_modules: 3k package.json analyze + finalize', installedFiles.reduce((n, f) => n + f.content.length, 0), () => {
  const fragments: Fragment<NpmFragment>[] = [];
  for (const f of installedFiles) {
    const value = analyzeNpmFile(f.path, f.content);
    if (value) fragments.push({ path: f.path, layerIndex: 0, layerDigest: 'sha256:x', value });
  }
  return finalizeNpm(fragments).packages?.length ?? 0;
});
bench('poetry.lock, 5k packages', poetryLock.length, () => parsePoetryLock(poetryLock, 'poetry.lock').length);
bench('requirements.txt, 5k pinned lines with hashes', requirements.length, () => parseRequirements(requirements).length);
bench('METADATA with 85 KiB description (header only read)', metadata.length, () => (parseCoreMetadata(metadata, 'METADATA').name ? 1 : 0));
bench('composer.lock, 5k packages', composerLock.length, () => parseComposerLock(composerLock, 'composer.lock').length);
bench('deps.json, 5k packages', depsJson.length, () => parseDepsJson(depsJson, 'x.deps.json').length);
bench('Gemfile.lock, 5k specs', gemfileLock.length, () => parseGemfileLock(gemfileLock).length);
