import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { haveSharedData, requireOrSkip } from '../../../helpers/shared-data.ts';
import { parseGemspec } from '../../../../src/analyzers/lang/ruby/gemspec.ts';
import { parseGemfileLock } from '../../../../src/analyzers/lang/ruby/gemfile-lock.ts';
import { analyzeRubyFile, finalizeRuby, rubyRequired } from '../../../../src/analyzers/lang/ruby/index.ts';
import type { GemRecord } from '../../../../src/analyzers/lang/ruby/index.ts';
import type { Fragment } from '../../../../src/analyzers/types.ts';
import { fixtureCases } from '../npm/pkgdb-fixtures.ts';

describe('gemspec against the pkgdb fixtures', () => {
  test('every ruby case matches exactly; malformed cases are rejected with the file named', (t) => {
    if (!haveSharedData(t, 'pkgdb-fixtures', 'ruby')) return;
    const cases = fixtureCases('ruby');
    assert.equal(cases.length, 8);
    for (const c of cases) {
      const input = c.inputs[0];
      assert.ok(input, c.name);
      if (c.expected.length === 0) {
        assert.throws(() => parseGemspec(readFileSync(input.abs), input.rel), (err: Error) => err.message.startsWith(`${input.rel}: failed to parse gemspec`), c.name);
        continue;
      }
      const spec = parseGemspec(readFileSync(input.abs), input.rel);
      const e = c.expected[0] ?? {};
      assert.equal(spec.name, e.Name, c.name);
      assert.equal(spec.version, e.Version, c.name);
      // scalibr's expectations carry no licenses; trivy's do (absent = none).
      if (c.name.startsWith('trivy-')) assert.deepEqual(spec.licenses, (e.Licenses as string[] | undefined) ?? [], c.name);
    }
  });

  test('Gem::Version.new, %q literals, single quotes and other receiver names', () => {
    const spec = parseGemspec(Buffer.from(`Gem::Specification.new do |gem|
  gem.name = %q<nokogiri>
  gem.version = Gem::Version.new("1.15.4".freeze)
  gem.licenses = ['MIT'.freeze, "Apache-2.0"]
end`), 'x.gemspec');
    assert.deepEqual(spec, { name: 'nokogiri', version: '1.15.4', licenses: ['MIT', 'Apache-2.0'] });
  });
});

describe('Gemfile.lock', () => {
  test('specs from GEM and GIT, platform suffix stripped, PATH skipped, direct from DEPENDENCIES', () => {
    const lock = `GIT
  remote: https://github.com/rails/rails.git
  revision: abc
  specs:
    rails (7.1.0)
      actionpack (= 7.1.0)

PATH
  remote: .
  specs:
    myapp (0.1.0)

GEM
  remote: https://rubygems.org/
  specs:
    actionpack (7.1.0)
      rack (>= 2.2.4)
    nokogiri (1.15.4-x86_64-linux)
      racc (~> 1.4)
    nokogiri (1.15.4-arm64-darwin)
    rack (3.0.8)

PLATFORMS
  x86_64-linux

DEPENDENCIES
  nokogiri
  rails!

BUNDLED WITH
   2.4.10
`;
    assert.deepEqual(parseGemfileLock(Buffer.from(lock)).map((g) => [g.name, g.version, g.indirect]), [
      ['rails', '7.1.0', false], ['actionpack', '7.1.0', true], ['nokogiri', '1.15.4', false], ['rack', '3.0.8', true],
    ]);
  });

  test('analyzer: installed gem paths, purls and ecosystem', () => {
    assert.equal(rubyRequired('usr/local/bundle/specifications/rake-13.0.3.gemspec'), true);
    assert.equal(rubyRequired('usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec'), true);
    assert.equal(rubyRequired('src/mygem/mygem.gemspec'), false);
    assert.equal(rubyRequired('app/Gemfile.lock'), true);
    assert.equal(rubyRequired('usr/src/app/Gemfile.lock'), true);
    // Regression (Debian's libruby3.1 ships rbs-2.1.0/steep/Gemfile.lock and typeprof's, listing
    // activesupport 6.1.4.1, minitest 5.14.4, … that `gem list` does not have): a gem's own
    // development lockfile inside an installed gem is not an inventory.
    assert.equal(rubyRequired('usr/lib/ruby/gems/3.1.0/gems/rbs-2.1.0/steep/Gemfile.lock'), false);
    assert.equal(rubyRequired('usr/lib/ruby/gems/3.1.0/gems/typeprof-0.21.2/Gemfile.lock'), false);
    assert.equal(rubyRequired('app/vendor/bundle/ruby/3.2.0/gems/puma-6.4.0/Gemfile.lock'), false);
    assert.equal(rubyRequired('usr/local/bundle/bundler/gems/rails-abc123/Gemfile.lock'), false);
    assert.equal(rubyRequired('srv/gems/storefront/Gemfile.lock'), true);
    assert.equal(rubyRequired('usr/lib/ruby/gems/3.1.0/Gemfile.lock'), true);
    const value = analyzeRubyFile('usr/local/bundle/specifications/rake-13.0.3.gemspec', Buffer.from('Gem::Specification.new do |s|\n  s.name = "rake".freeze\n  s.version = "13.0.3"\n  s.licenses = ["MIT".freeze]\nend\n'));
    const out = finalizeRuby([{ path: 'usr/local/bundle/specifications/rake-13.0.3.gemspec', layerIndex: 0, layerDigest: 'sha256:dd', value }]).packages ?? [];
    assert.deepEqual(out.map((p) => [p.name, p.version, p.ecosystem, p.type, p.purl, p.licenses]), [['rake', '13.0.3', 'RubyGems', 'gem', 'pkg:gem/rake@13.0.3', ['MIT']]]);
  });
});

test('the host\'s installed gems (every GEM_PATH specification) equal what RubyGems itself loads', (t) => {
  const gem = spawnSync('gem', ['env', 'gempath'], { encoding: 'utf8' });
  if (!requireOrSkip(t, gem.status === 0, 'ruby and gem')) return;
  const fragments: Fragment<GemRecord[]>[] = [];
  for (const dir of gem.stdout.trim().split(':')) {
    for (const sub of ['specifications', 'specifications/default']) {
      const specDir = `${dir}/${sub}`;
      if (!existsSync(specDir)) continue;
      for (const file of readdirSync(specDir)) {
        const imagePath = `${specDir}/${file}`.slice(1);
        if (!rubyRequired(imagePath)) continue;
        fragments.push({ path: imagePath, layerIndex: 0, layerDigest: '', value: analyzeRubyFile(imagePath, readFileSync(`/${imagePath}`)) });
      }
    }
  }
  const got = (finalizeRuby(fragments).packages ?? []).map((p) => `${p.name}@${p.version}\t${(p.licenses ?? []).join(',')}`).sort();
  const script = 'Gem::Specification.each { |s| puts "#{s.name}@#{s.version}\t#{s.licenses.join(",")}" }';
  const want = [...new Set(execFileSync('ruby', ['-e', script], { encoding: 'utf8' }).trim().split('\n'))].sort();
  assert.ok(want.length > 10);
  assert.deepEqual(got, want);
});

describe('Gemfile.lock against Bundler itself', () => {
  const rubyOk = spawnSync('ruby', ['-rbundler', '-e', 'exit 0'], { stdio: 'ignore' }).status === 0;
  const oracle = (cwd: string, files: string[]): [string, string][][] => {
    const script = 'require "bundler"; require "json"; out = ARGV.map { |f| Bundler::LockfileParser.new(File.read(f)).specs'
      + '.reject { |s| s.source.instance_of?(Bundler::Source::Path) }.map { |s| [s.name, s.version.to_s] }.uniq }; puts JSON.generate(out)';
    // Bundler locates the project (a Gemfile) even to parse a lockfile.
    return JSON.parse(execFileSync('ruby', ['-e', script, ...files], { cwd, encoding: 'utf8' })) as [string, string][][];
  };

  test('bundle lock --local output and generated lockfiles parse like Bundler::LockfileParser', (t) => {
    if (!requireOrSkip(t, rubyOk, 'ruby with bundler')) return;
    const dir = mkdtempSync(path.join(tmpdir(), 'pw-gemlock-'));
    try {
      // 1. A real lockfile written by Bundler from gems installed on this host (no network).
      writeFileSync(path.join(dir, 'Gemfile'), 'source "https://rubygems.org"\ngem "rake"\ngem "minitest"\ngem "test-unit"\ngem "rexml"\n');
      execFileSync('ruby', ['-e', 'require "bundler"; require "bundler/cli"; Bundler::CLI.start(["lock", "--local"])'], { cwd: dir, stdio: 'ignore' });
      const files = [path.join(dir, 'Gemfile.lock')];
      // 2. Generated lockfiles covering GIT/PATH sources, platform variants and prerelease versions.
      const gem = fc.record({
        name: fc.stringMatching(/^[a-z][a-z0-9_-]{0,12}$/),
        version: fc.tuple(fc.nat(30), fc.nat(30), fc.nat(30), fc.constantFrom('', '.pre', '.rc1', '.beta.2')).map(([a, b, c, d]) => `${a}.${b}.${c}${d}`),
        platforms: fc.subarray(['', '-x86_64-linux', '-aarch64-linux-musl', '-java', '-x64-mingw-ucrt'], { minLength: 1 }),
        deps: fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { maxLength: 3 }),
      });
      const section = (kind: string, head: string, gems: { name: string; version: string; platforms: string[]; deps: string[] }[]): string =>
        `${kind}\n${head}  specs:\n${gems.flatMap((g) => g.platforms.map((p) => `    ${g.name} (${g.version}${p})\n${g.deps.map((d) => `      ${d} (>= 0)\n`).join('')}`)).join('')}\n`;
      const samples = fc.sample(fc.record({
        gem: fc.uniqueArray(gem, { selector: (g) => g.name, maxLength: 8 }),
        git: fc.uniqueArray(gem, { selector: (g) => g.name, maxLength: 2 }),
        path: fc.uniqueArray(gem, { selector: (g) => g.name, maxLength: 2 }),
      }), { numRuns: 40, seed: 11 });
      samples.forEach((s, i) => {
        const names = new Set(s.gem.map((g) => g.name));
        const git = s.git.filter((g) => !names.has(g.name));
        git.forEach((g) => names.add(g.name));
        const local = s.path.filter((g) => !names.has(g.name));
        const text = section('GIT', '  remote: https://example.invalid/x.git\n  revision: 0123456789abcdef0123456789abcdef01234567\n', git)
          + section('PATH', '  remote: .\n', local)
          + section('GEM', '  remote: https://rubygems.org/\n', s.gem)
          + `PLATFORMS\n  ruby\n  x86_64-linux\n\nDEPENDENCIES\n${[...names].map((n) => `  ${n}\n`).join('')}\nBUNDLED WITH\n   2.3.27\n`;
        const f = path.join(dir, `gen-${i}.lock`);
        writeFileSync(f, text);
        files.push(f);
      });
      const want = oracle(dir, files);
      files.forEach((f, i) => {
        const got = parseGemfileLock(readFileSync(f)).map((g) => `${g.name}@${g.version}`).sort();
        assert.deepEqual(got, [...new Set((want[i] ?? []).map(([n, v]) => `${n}@${v}`))].sort(), f);
      });
      assert.ok((want[0] ?? []).length >= 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
