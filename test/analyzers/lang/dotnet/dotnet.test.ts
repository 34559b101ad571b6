import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { haveSharedData, sharedData } from '../../../helpers/shared-data.ts';
import { parseDepsJson, parsePackagesLockJson } from '../../../../src/analyzers/lang/dotnet/deps-json.ts';
import { parseMsbuildPackages } from '../../../../src/analyzers/lang/dotnet/msbuild.ts';
import { analyzeDotnetFile, dotnetAnalyzer, finalizeDotnet } from '../../../../src/analyzers/lang/dotnet/index.ts';
import { fixtureCases, indirectOf } from '../npm/pkgdb-fixtures.ts';

function relationshipOf(rel: unknown): string | null {
  if (rel === 'ftypes.RelationshipRoot') return 'root';
  if (rel === 'ftypes.RelationshipWorkspace') return 'workspace';
  const indirect = indirectOf(rel);
  return indirect === undefined ? null : indirect ? 'indirect' : 'direct';
}

describe('deps.json against the pkgdb fixtures', () => {
  test('every dotnet case matches name, version and relationship exactly', (t) => {
    if (!haveSharedData(t, 'pkgdb-fixtures', 'dotnet')) return;
    const cases = fixtureCases('dotnet');
    assert.equal(cases.length, 6);
    for (const c of cases) {
      const input = c.inputs[0];
      assert.ok(input, c.name);
      const got = parseDepsJson(readFileSync(input.abs), input.rel)
        .map((p) => JSON.stringify([p.name, p.version, p.relationship ?? (p.indirect === undefined ? null : p.indirect ? 'indirect' : 'direct')]))
        .sort();
      const want = c.expected.map((e) => JSON.stringify([e.Name, e.Version, relationshipOf(e.Relationship)])).sort();
      assert.deepEqual(got, want, c.name);
    }
  });

  test('not a deps.json → clear error naming the file', () => {
    assert.throws(() => parseDepsJson(Buffer.from('{"a":1}'), 'app/x.deps.json'), /app\/x\.deps\.json: no "libraries"/);
    assert.throws(() => parseDepsJson(Buffer.from('{"a":'), 'app/x.deps.json'), /app\/x\.deps\.json: invalid JSON/);
  });
});

describe('trivy integration repo fixtures (.NET)', () => {
  const golden = (name: string, target: string): string[] => {
    const index = JSON.parse(readFileSync(sharedData('trivy-integration', 'goldens', 'repo', '_index.json'), 'utf8')) as
      { golden: string; results: { target: string; packages: string[] }[] }[];
    const r = index.find((x) => x.golden === `repo/${name}`)?.results.find((x) => x.target === target);
    assert.ok(r, name);
    return r.packages.slice().sort();
  };
  const ids = (p: { name: string; version: string }[]): string[] => p.map((x) => `${x.name}@${x.version}`).sort();
  const repo = (...p: string[]): Buffer => readFileSync(sharedData('trivy-integration', 'repo', ...p));

  test('deps.json, packages.lock.json and Directory.Packages.props match the goldens', (t) => {
    if (!haveSharedData(t, 'trivy-integration', 'repo', 'dotnet')) return;
    assert.deepEqual(ids(parseDepsJson(repo('dotnet', 'datacollector.deps.json'), 'datacollector.deps.json')), golden('dotnet.json.golden', 'datacollector.deps.json'));
    assert.deepEqual(ids(parsePackagesLockJson(repo('nuget', 'packages.lock.json'), 'packages.lock.json')), golden('nuget.json.golden', 'packages.lock.json'));
    assert.deepEqual(ids(parseMsbuildPackages(repo('packagesprops', 'Directory.Packages.props'))), golden('packagesprops.json.golden', 'Directory.Packages.props'));
  });
});

describe('.NET analyzer', () => {
  test('project files: exact versions only, attribute or child element, comments ignored', () => {
    const xml = `<Project><ItemGroup>
      <PackageReference Include="Serilog" Version="3.1.1" />
      <PackageReference Include="Polly"><Version>8.2.0</Version></PackageReference>
      <PackageReference Include="Floating" Version="1.*" />
      <PackageReference Include="Ranged" Version="[1.0,2.0)" />
      <PackageReference Include="Pinned" Version="[2.0.1]" />
      <PackageReference Include="Prop" Version="$(PropVersion)" />
      <!-- <PackageReference Include="Commented" Version="1.0.0" /> -->
    </ItemGroup></Project>`;
    assert.deepEqual(ids2(parseMsbuildPackages(Buffer.from(xml))), ['Pinned@2.0.1', 'Polly@8.2.0', 'Serilog@3.1.1']);
  });

  test('finalize builds NuGet packages with purls, root project marked in metadata', () => {
    const value = analyzeDotnetFile('app/Web.deps.json', Buffer.from(JSON.stringify({
      runtimeTarget: { name: 't' },
      targets: { t: { 'Web/1.0.0': { dependencies: { 'Newtonsoft.Json': '13.0.1' } }, 'Newtonsoft.Json/13.0.1': { runtime: { 'lib/a.dll': {} } } } },
      libraries: { 'Web/1.0.0': { type: 'project' }, 'Newtonsoft.Json/13.0.1': { type: 'package' }, 'Ref/1.0.0': { type: 'reference' } },
    })));
    const out = finalizeDotnet([{ path: 'app/Web.deps.json', layerIndex: 2, layerDigest: 'sha256:bb', value }]).packages ?? [];
    assert.deepEqual(out.map((p) => [p.name, p.purl, p.indirect, p.metadata?.relationship]), [
      ['Newtonsoft.Json', 'pkg:nuget/Newtonsoft.Json@13.0.1', false, undefined],
      ['Web', 'pkg:nuget/Web@1.0.0', undefined, 'root'],
    ]);
    assert.equal(out[0]?.ecosystem, 'NuGet');
    assert.deepEqual(out[0]?.locations, [{ layer: 'sha256:bb', path: 'app/Web.deps.json' }]);
    const meta = { path: '', type: 'file' as const, size: 1, mode: 0o644, layerIndex: 0, layerDigest: '' };
    assert.equal(dotnetAnalyzer.required('app/My.App.deps.json', meta), true);
    assert.equal(dotnetAnalyzer.required('app/.deps.json', meta), false);
    assert.equal(dotnetAnalyzer.required('src/App/App.csproj', meta), true);
    assert.equal(dotnetAnalyzer.required('app/node_modules/edge-js/samples/Sample.csproj', meta), false);
    assert.equal(dotnetAnalyzer.required('root/.nuget/packages/some.pkg/1.0.0/content/packages.lock.json', meta), false);
    // Built apps shipped inside other packages are real binaries: their deps.json still counts.
    assert.equal(dotnetAnalyzer.required('app/node_modules/tool/bin/Tool.deps.json', meta), true);
  });
});

function ids2(p: { name: string; version: string }[]): string[] {
  return p.map((x) => `${x.name}@${x.version}`).sort();
}
