/**
 * Fuzzing of every text-format language parser (npm, Python, Ruby, PHP, .NET): random, mutated
 * and truncated inputs must give a result or an Error — never another exception type, a hang or
 * a crash. Kept here so one bounded run covers all five ecosystems.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyzeNpmFile } from '../../../../src/analyzers/lang/npm/index.ts';
import { classifyInstalledPackageJson } from '../../../../src/analyzers/lang/npm/package-json.ts';
import { analyzePythonFile } from '../../../../src/analyzers/lang/python/index.ts';
import { analyzeRubyFile } from '../../../../src/analyzers/lang/ruby/index.ts';
import { analyzeComposerFile } from '../../../../src/analyzers/lang/php/index.ts';
import { analyzeDotnetFile } from '../../../../src/analyzers/lang/dotnet/index.ts';

type Parser = (path: string, content: Buffer) => unknown;

const targets: [string, Parser, string][] = [
  ['app/package-lock.json', analyzeNpmFile, JSON.stringify({ lockfileVersion: 3, packages: { '': { dependencies: { a: '1' } }, 'node_modules/a': { version: '1.0.0', dev: true }, 'node_modules/l': { link: true, resolved: 'pk/l' }, 'pk/l': { version: '2.0.0' } } })],
  ['app/package-lock.json', analyzeNpmFile, JSON.stringify({ lockfileVersion: 1, dependencies: { a: { version: '1.0.0', dependencies: { b: { version: 'npm:c@2.0.0' } } } } })],
  ['app/node_modules/@s/a/package.json', analyzeNpmFile, JSON.stringify({ name: '@s/a', version: '1.0.0', license: { type: 'MIT' } })],
  ['app/yarn.lock', analyzeNpmFile, '# yarn lockfile v1\n\n"@a/b@^1.0.0", "@a/b@^1.1":\n  version "1.2.0"\n  dependencies:\n    c "^2"\n\nc@^2:\n  version "2.0.1"\n'],
  ['app/yarn.lock', analyzeNpmFile, '__metadata:\n  version: 6\n\n"a@npm:^1.0.0":\n  version: 1.0.3\n  resolution: "a@npm:1.0.3"\n  dependencies:\n    b: ^2\n'],
  ['app/pnpm-lock.yaml', analyzeNpmFile, "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a:\n        specifier: ^1\n        version: 1.0.0(b@2.0.0)\npackages:\n  a@1.0.0:\n    resolution: {integrity: x}\nsnapshots:\n  a@1.0.0(b@2.0.0):\n    dependencies:\n      b: 2.0.0\n"],
  ['app/pnpm-lock.yaml', analyzeNpmFile, "lockfileVersion: 5.4\ndependencies:\n  a: 1.0.0_b@2.0.0\npackages:\n  /a/1.0.0_b@2.0.0:\n    dev: false\n"],
  ['app/bun.lock', analyzeNpmFile, '{ "lockfileVersion": 1, "workspaces": { "": { "dependencies": { "a": "1" }, }, }, "packages": { "a": ["a@1.0.0", "", { "dependencies": { "b": "1" } }, "sha"], "a/b": ["b@1.0.0", "", {}, "sha"], }, }'],
  ['site/x-1.0.dist-info/METADATA', analyzePythonFile, 'Metadata-Version: 2.1\nName: x\nVersion: 1.0\nClassifier: License :: OSI Approved :: MIT License\n\nbody\n'],
  ['app/requirements.txt', analyzePythonFile, 'a==1.0\nb[x] == 2.0 ; python_version>"3"\\\n  --hash=sha256:00\n-r other.txt\n'],
  ['app/poetry.lock', analyzePythonFile, '[[package]]\nname = "a"\nversion = "1.0"\ncategory = "dev"\n'],
  ['app/uv.lock', analyzePythonFile, 'version = 1\n[[package]]\nname = "a"\nversion = "1.0"\nsource = { virtual = "." }\n'],
  ['app/Pipfile.lock', analyzePythonFile, JSON.stringify({ default: { a: { version: '==1.0' } }, develop: { b: { version: '==2.0' } } })],
  ['usr/specifications/a-1.0.gemspec', analyzeRubyFile, 'Gem::Specification.new do |s|\n  s.name = "a".freeze\n  s.version = Gem::Version.new("1.0")\n  s.licenses = ["MIT".freeze]\nend\n'],
  ['app/Gemfile.lock', analyzeRubyFile, 'GEM\n  remote: https://rubygems.org/\n  specs:\n    a (1.0-x86_64-linux)\n      b (>= 1)\n\nDEPENDENCIES\n  a\n'],
  ['app/composer.lock', analyzeComposerFile, JSON.stringify({ packages: [{ name: 'a/b', version: 'v1.0', license: ['MIT or BSD'] }], 'packages-dev': [] })],
  ['app/vendor/composer/installed.json', analyzeComposerFile, JSON.stringify({ packages: [{ name: 'a/b', version: '1.0' }], 'dev-package-names': ['a/b'] })],
  ['app/x.deps.json', analyzeDotnetFile, JSON.stringify({ runtimeTarget: { name: 't' }, targets: { t: { 'A/1.0': { dependencies: { B: '2.0' } }, 'B/2.0': { runtime: { 'b.dll': {} } } } }, libraries: { 'A/1.0': { type: 'project' }, 'B/2.0': { type: 'package' } } })],
  ['app/packages.lock.json', analyzeDotnetFile, JSON.stringify({ version: 1, dependencies: { net8: { A: { type: 'Direct', resolved: '1.0.0' } } } })],
  ['app/App.csproj', analyzeDotnetFile, '<Project><ItemGroup><PackageReference Include="A" Version="1.0.0" /><PackageReference Include="B"><Version>2.0</Version></PackageReference></ItemGroup></Project>'],
];

function mustNotCrash(parse: Parser, path: string, content: Buffer): void {
  try {
    parse(path, content);
  } catch (err) {
    assert.ok(err instanceof Error, `${path}: threw a non-Error ${String(err)}`);
    assert.ok(err.message.length > 0);
  }
}

test('seed inputs parse without error', () => {
  for (const [path, parse, seed] of targets) assert.doesNotThrow(() => parse(path, Buffer.from(seed)), path);
});

test('random bytes, truncations and byte mutations give a result or an Error', () => {
  for (const [path, parse, seed] of targets) {
    const seedBuf = Buffer.from(seed);
    fc.assert(fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
        fc.nat({ max: seedBuf.length }).map((n) => seedBuf.subarray(0, n)),
        fc.tuple(fc.nat({ max: Math.max(0, seedBuf.length - 1) }), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 8 }))
          .map(([at, byte, len]) => Buffer.concat([seedBuf.subarray(0, at), Buffer.alloc(len, byte), seedBuf.subarray(at + 1)])),
        fc.string({ maxLength: 300 }).map((s) => Buffer.from(s)),
      ),
      (content) => mustNotCrash(parse, path, content),
    ), { numRuns: 150, seed: 4242 });
  }
});

test('structured JSON values of the wrong shape give a result or an Error', () => {
  const jsonTargets = targets.filter(([p]) => p.endsWith('.json') || p.endsWith('.lock') && !p.endsWith('yarn.lock') && !p.endsWith('poetry.lock') && !p.endsWith('uv.lock') && !p.endsWith('Gemfile.lock'));
  for (const [path, parse] of jsonTargets) {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => mustNotCrash(parse, path, Buffer.from(JSON.stringify(value) ?? 'null'))), { numRuns: 150, seed: 7 });
  }
});

test('pathological inputs stay fast (no regex backtracking blow-up)', () => {
  const big = (s: string, n: number): Buffer => Buffer.from(s.repeat(n));
  const cases: [string, Parser, Buffer][] = [
    ['app/App.csproj', analyzeDotnetFile, big('<!--<PackageReference ', 20_000)],
    ['app/App.csproj', analyzeDotnetFile, big('<PackageReference Include="a" Version="1.0" ', 20_000)],
    ['app/requirements.txt', analyzePythonFile, big('a[' + ' '.repeat(50) + '==', 5_000)],
    ['app/yarn.lock', analyzeNpmFile, Buffer.from('"' + 'a'.repeat(200_000) + ':\n')],
    ['usr/specifications/a.gemspec', analyzeRubyFile, Buffer.from('Gem::Specification.new do |s|\n' + '  s.licenses = ["a", '.repeat(20_000) + '\n')],
    ['app/bun.lock', analyzeNpmFile, Buffer.from('{"packages": {' + '"a": ["a@1", "\\"",'.repeat(20_000))],
    ['app/bun.lock', analyzeNpmFile, Buffer.from('/*'.repeat(50_000) + ',' + ' '.repeat(100_000))],
    ['app/Gemfile.lock', analyzeRubyFile, Buffer.from('GEM\n  specs:\n' + '    a (' + '1'.repeat(100_000) + '\n')],
    ['site/a.dist-info/METADATA', analyzePythonFile, big('Name: a\n' + ' x'.repeat(50), 2_000)],
  ];
  for (const [path, parse, content] of cases) {
    const start = process.hrtime.bigint();
    mustNotCrash(parse, path, content);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    // Generous bound: catches super-linear behaviour (minutes), not slow machines.
    assert.ok(ms < 10_000, `${path} took ${ms} ms`);
  }
});

test('installed package.json path classification never throws and only accepts package roots', () => {
  fc.assert(fc.property(
    fc.array(fc.constantFrom('node_modules', '.pnpm', '@s', 'a', 'b@1.0.0', 'lib', '.bin', ''), { maxLength: 8 }),
    (segs) => {
      const p = [...segs, 'package.json'].join('/');
      const r = classifyInstalledPackageJson(p);
      if (r) {
        assert.ok(p.includes('node_modules/'));
        assert.ok(!r.dirName.startsWith('.') && r.dirName !== '');
      }
    },
  ), { numRuns: 500, seed: 1 });
});
