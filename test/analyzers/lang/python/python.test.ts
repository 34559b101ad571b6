import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { haveSharedData, requireOrSkip, sharedData } from '../../../helpers/shared-data.ts';
import { parseCoreMetadata } from '../../../../src/analyzers/lang/python/metadata.ts';
import { parseRequirements, parsePipfileLock, parsePoetryLock, parseUvLock, parsePylock } from '../../../../src/analyzers/lang/python/lockfiles.ts';
import { analyzePythonFile, finalizePython, pythonAnalyzer, pythonFileKind, pythonPurl } from '../../../../src/analyzers/lang/python/index.ts';
import type { PythonRecord } from '../../../../src/analyzers/lang/python/index.ts';
import type { Fragment } from '../../../../src/analyzers/types.ts';
import { fixtureCases } from '../npm/pkgdb-fixtures.ts';

describe('core metadata against the pkgdb fixtures', () => {
  test('every python case matches name, version and licenses exactly', (t) => {
    if (!haveSharedData(t, 'pkgdb-fixtures', 'python')) return;
    const cases = fixtureCases('python');
    assert.equal(cases.length, 10);
    for (const c of cases) {
      const input = c.inputs[0];
      assert.ok(input && c.inputs.length === 1, c.name);
      const m = parseCoreMetadata(readFileSync(input.abs), input.rel);
      const e = c.expected[0] ?? {};
      assert.equal(c.expected.length, 1, c.name);
      assert.equal(m.name, e.Name, c.name);
      assert.equal(m.version, e.Version, c.name);
      assert.deepEqual(m.licenses, (e.Licenses as string[] | null | undefined) ?? [], c.name);
    }
  });

  test('continuation lines, CRLF and Latin-1 bytes', () => {
    const m = parseCoreMetadata(Buffer.concat([
      Buffer.from('Metadata-Version: 2.1\r\nName: caf\r\nVersion: 1.0\r\nLicense: BSD\r\n        | more text\r\nAuthor: '),
      Buffer.from([0xe9]), Buffer.from('\r\n\r\nName: not-a-header\r\n'),
    ]), 'x/METADATA');
    assert.deepEqual(m, { name: 'caf', version: '1.0', licenses: ['BSD\n| more text'] });
  });

  test('a file without Name/Version is rejected with its path', () => {
    assert.throws(() => parseCoreMetadata(Buffer.from('hello'), 'a.dist-info/METADATA'), /a\.dist-info\/METADATA: not Python package metadata/);
  });
});

describe('requirements.txt', () => {
  test('only exact pins count; extras, markers, hashes, continuations and comments are handled', () => {
    const text = [
      '# comment', '-r other.txt', '-e git+https://x/y.git#egg=y', '--index-url https://pypi.org/simple',
      'Django==4.2.1  # pinned', 'requests[security,socks] == 2.31.0 ; python_version >= "3.8"',
      'urllib3==2.0.3 \\', '    --hash=sha256:aaaa \\', '    --hash=sha256:bbbb',
      'flask>=2.0', 'six', 'wild==1.*', 'pkg @ https://example.invalid/pkg.whl', 'arbitrary===1.0.post1',
      'zope.interface==6.0', 'Django==4.2.1',
    ].join('\n');
    assert.deepEqual(parseRequirements(Buffer.from(text)).map((p) => `${p.name}@${p.version}`),
      ['Django@4.2.1', 'requests@2.31.0', 'urllib3@2.0.3', 'arbitrary@1.0.post1', 'zope.interface@6.0']);
  });
});

function golden(name: string, target: string): string[] {
  const index = JSON.parse(readFileSync(sharedData('trivy-integration', 'goldens', 'repo', '_index.json'), 'utf8')) as
    { golden: string; results: { target: string; packages: string[] }[] }[];
  const r = index.find((x) => x.golden === `repo/${name}`)?.results.find((x) => x.target === target);
  assert.ok(r, name);
  return r.packages.slice().sort();
}

describe('trivy integration repo fixtures (python)', () => {
  const repo = (...p: string[]): Buffer => readFileSync(sharedData('trivy-integration', 'repo', ...p));
  const ids = (pkgs: { name: string; version: string }[]): string[] => pkgs.map((p) => `${p.name}@${p.version}`).sort();
  test('requirements.txt, Pipfile.lock, poetry.lock, uv.lock and pylock.toml match the goldens', (t) => {
    if (!haveSharedData(t, 'trivy-integration', 'repo', 'pip')) return;
    assert.deepEqual(ids(parseRequirements(repo('pip', 'requirements.txt'))), golden('pip.json.golden', 'requirements.txt'));
    assert.deepEqual(ids(parsePipfileLock(repo('pipenv', 'Pipfile.lock'), 'Pipfile.lock')), golden('pipenv.json.golden', 'Pipfile.lock'));
    assert.deepEqual(ids(parsePoetryLock(repo('poetry', 'poetry.lock'), 'poetry.lock')), golden('poetry.json.golden', 'poetry.lock'));
    const uv = parseUvLock(repo('uv', 'uv.lock'), 'uv.lock');
    assert.deepEqual(ids(uv), golden('uv.json.golden', 'uv.lock'));
    assert.equal(uv.find((p) => p.name === 'uv-test')?.relationship, 'root');
    assert.deepEqual(ids(parsePylock(repo('pylock', 'pylock.toml'), 'pylock.toml')), golden('pylock.json.golden', 'pylock.toml'));
  });

  test('uv.lock: packages reachable only from dev-dependencies are dev', () => {
    const lock = `version = 1
[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "requests" }]
[package.dev-dependencies]
dev = [{ name = "pytest" }]

[[package]]
name = "requests"
version = "2.31.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "urllib3" }]

[[package]]
name = "pytest"
version = "8.0.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "urllib3" }, { name = "pluggy" }]

[[package]]
name = "urllib3"
version = "2.2.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pluggy"
version = "1.4.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "sibling"
version = "0.0.1"
source = { editable = "libs/sibling" }
`;
    assert.deepEqual(parseUvLock(Buffer.from(lock), 'uv.lock').map((p) => [p.name, p.dev ?? false, p.relationship ?? '']), [
      ['app', false, 'root'], ['requests', false, ''], ['pytest', true, ''], ['urllib3', false, ''], ['pluggy', true, ''],
    ]);
  });

  test('corrupt TOML and JSON name the file', () => {
    assert.throws(() => parsePoetryLock(Buffer.from('[[package]\nname='), 'p/poetry.lock'), /p\/poetry\.lock: invalid TOML/);
    assert.throws(() => parsePipfileLock(Buffer.from('{'), 'p/Pipfile.lock'), /p\/Pipfile\.lock: invalid JSON/);
  });
});

describe('python analyzer', () => {
  test('required() picks metadata files and lockfiles only', () => {
    assert.equal(pythonFileKind('usr/lib/python3.11/site-packages/Flask-2.0.0.dist-info/METADATA'), 'metadata');
    assert.equal(pythonFileKind('usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO'), 'metadata');
    assert.equal(pythonFileKind('usr/lib/python3/dist-packages/foo-1.0-py3.8.egg/EGG-INFO/PKG-INFO'), 'metadata');
    assert.equal(pythonFileKind('usr/lib/python3/dist-packages/distlib-0.3.1-py3.9.egg-info', 'file'), 'metadata');
    assert.equal(pythonFileKind('usr/lib/python3/dist-packages/distlib-0.3.1-py3.9.egg-info', 'dir'), undefined);
    assert.equal(pythonFileKind('src/METADATA'), undefined);
    assert.equal(pythonFileKind('usr/lib/python3.12/site-packages/setuptools/_vendor/packaging-24.2.dist-info/METADATA'), undefined);
    assert.equal(pythonFileKind('sdist/PKG-INFO'), undefined);
    assert.equal(pythonAnalyzer.required('app/poetry.lock', { path: 'app/poetry.lock', type: 'file', size: 1, mode: 0o644, layerIndex: 0, layerDigest: '' }), true);
    // Regression: setuptools' bundled test data (seen in a real bundled Python) is not a distribution;
    // importlib.metadata only looks at a site-packages directory's own entries.
    assert.equal(pythonFileKind('opt/py/lib/python3.12/site-packages/pkg_resources/tests/data/my-test-package_unpacked-egg/my_test_package-1.0-py3.7.egg/EGG-INFO/PKG-INFO'), undefined);
    assert.equal(pythonFileKind('usr/lib/python3/dist-packages/pkg/data/fake-1.0.dist-info/METADATA'), undefined);
    assert.equal(pythonFileKind('usr/lib/python3/dist-packages/pkg/fake-1.0.egg-info', 'file'), undefined);
    assert.equal(pythonFileKind('app/libs/Foo-1.0.dist-info/METADATA'), 'metadata');
    assert.equal(pythonFileKind('app/eggs/EGG-INFO/PKG-INFO'), 'metadata');
    // Installed distributions may ship their own development lockfiles; those list nothing installed.
    assert.equal(pythonFileKind('usr/local/lib/python3.12/site-packages/somepkg/requirements.txt'), undefined);
    assert.equal(pythonFileKind('usr/lib/python3/dist-packages/somepkg/tests/poetry.lock'), undefined);
    assert.equal(pythonFileKind('app/.venv/lib/python3.12/site-packages/x/uv.lock'), undefined);
    assert.equal(pythonFileKind('app/requirements.txt'), 'requirements');
  });

  test('purl uses the PEP 503 name, the package keeps the metadata name', () => {
    assert.equal(pythonPurl('Zope.Interface_x', '6.0'), 'pkg:pypi/zope-interface-x@6.0');
    const f: Fragment<PythonRecord[]> = { path: 'a/Foo_Bar-1.0.dist-info/METADATA', layerIndex: 0, layerDigest: 'sha256:1', value: analyzePythonFile('a/Foo_Bar-1.0.dist-info/METADATA', Buffer.from('Name: Foo_Bar\nVersion: 1.0\n')) };
    const g: Fragment<PythonRecord[]> = { path: 'b/requirements.txt', layerIndex: 1, layerDigest: 'sha256:2', value: analyzePythonFile('b/requirements.txt', Buffer.from('foo-bar==1.0\n')) };
    const out = finalizePython([f, g]).packages ?? [];
    assert.equal(out.length, 1);
    assert.equal(out[0]?.name, 'Foo_Bar');
    assert.equal(out[0]?.ecosystem, 'PyPI');
    assert.equal(out[0]?.purl, 'pkg:pypi/foo-bar@1.0');
    assert.equal(out[0]?.locations.length, 2);
  });

  test('the host dist-packages inventory equals importlib.metadata', (t) => {
    const dir = '/usr/lib/python3/dist-packages';
    const py = spawnSync('python3', ['-c', 'print(1)'], { stdio: 'ignore' });
    if (!requireOrSkip(t, py.status === 0 && existsSync(dir), 'python3 with /usr/lib/python3/dist-packages')) return;
    const script = 'import importlib.metadata as m, json, sys\n'
      + 'print(json.dumps(sorted({d.metadata["Name"] + "@" + d.version for d in m.distributions(path=[sys.argv[1]])})))';
    const expected = JSON.parse(execFileSync('python3', ['-c', script, dir], { encoding: 'utf8' })) as string[];
    const fragments: Fragment<PythonRecord[]>[] = [];
    for (const entry of readdirSync(dir)) {
      const candidates = [entry, `${entry}/METADATA`, `${entry}/PKG-INFO`];
      for (const rel of candidates) {
        const abs = path.join(dir, rel);
        if (!existsSync(abs)) continue;
        const st = lstatSync(abs);
        const imagePath = `usr/lib/python3/dist-packages/${rel}`;
        if (!st.isFile() || !pythonAnalyzer.required(imagePath, { path: imagePath, type: 'file', size: st.size, mode: st.mode, layerIndex: 0, layerDigest: '' })) continue;
        fragments.push({ path: imagePath, layerIndex: 0, layerDigest: '', value: analyzePythonFile(imagePath, readFileSync(abs)) });
      }
    }
    const got = (finalizePython(fragments).packages ?? []).map((p) => `${p.name}@${p.version}`).sort();
    assert.ok(expected.length > 5);
    assert.deepEqual(got, expected);
  });
});

test('core metadata Name/Version agree with Python\'s own parser (importlib.metadata) on generated files', (t) => {
  const py = spawnSync('python3', ['-c', 'import importlib.metadata'], { stdio: 'ignore' });
  if (!requireOrSkip(t, py.status === 0, 'python3')) return;
  const token = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$/);
  const header = (nameArb: fc.Arbitrary<string>, value: fc.Arbitrary<string>): fc.Arbitrary<string> =>
    fc.tuple(nameArb, fc.constantFrom(': ', ':', ':   ', ' : '), value).map(([n, sep, v]) => `${n}${sep}${v}`);
  const file = fc.record({
    name: token, version: token,
    nameKey: fc.constantFrom('Name', 'name', 'NAME'),
    versionKey: fc.constantFrom('Version', 'version'),
    extra: fc.array(header(fc.constantFrom('Summary', 'Classifier', 'License', 'Author', 'Description'),
      fc.stringMatching(/^[ -~]{0,30}$/).map((s) => s.replace(/^[ :]+/, ''))), { maxLength: 6 }),
    folded: fc.boolean(),
    eol: fc.constantFrom('\n', '\r\n'),
    trailing: fc.constantFrom('', ' ', '\t'),
    body: fc.constantFrom('', 'Name: impostor\nVersion: 9.9\n'),
  }).map((f) => {
    const lines = ['Metadata-Version: 2.1', `${f.nameKey}: ${f.name}${f.trailing}`, ...f.extra, `${f.versionKey}: ${f.version}`];
    if (f.folded) lines.push('Description: first line', '        second line', '\tthird line');
    return lines.join(f.eol) + f.eol + (f.body ? f.eol + f.body : '');
  });
  const samples = fc.sample(file, { numRuns: 80, seed: 99 });
  const script = 'import sys, json, email\n'
    + 'out = []\n'
    + 'for text in json.load(sys.stdin):\n'
    + '    m = email.message_from_string(text)\n'
    + '    out.append([m["Name"], m["Version"]])\n'
    + 'print(json.dumps(out))';
  // importlib.metadata parses METADATA with email.message_from_string (PathDistribution.metadata).
  const want = JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(samples), encoding: 'utf8' })) as [string | null, string | null][];
  let rejected = 0;
  samples.forEach((text, i) => {
    const [name, version] = want[i] ?? [null, null];
    if (!name?.trim() || !version?.trim()) {
      // Python sees no name/version (a malformed line ended its header block): no package.
      assert.throws(() => parseCoreMetadata(Buffer.from(text), 'METADATA'), /not Python package metadata/, text);
      rejected++;
      return;
    }
    const m = parseCoreMetadata(Buffer.from(text), 'METADATA');
    assert.equal(m.name, name.trim(), text);
    assert.equal(m.version, version.trim(), text);
  });
  assert.ok(rejected < samples.length / 2, `${rejected} of ${samples.length} samples had no name/version`);
});
