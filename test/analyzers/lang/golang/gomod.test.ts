import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { haveSharedData, sharedData } from '../../../helpers/shared-data.ts';
import { goModAnalyzer, parseGoMod, parseGoSum, resolveGoModRequires } from '../../../../src/analyzers/lang/golang/index.ts';
import type { FileMeta } from '../../../../src/image/types.ts';

function meta(path: string): FileMeta {
  return { path, type: 'file', size: 1, mode: 0o644, layerIndex: 0, layerDigest: '' };
}

describe('go.mod', () => {
  test('trivy integration fixture: requires with indirect markers, the modules its golden matches', (t) => {
    if (!haveSharedData(t, 'trivy-integration/repo/gomod/go.mod')) return;
    const mod = parseGoMod(readFileSync(sharedData('trivy-integration/repo/gomod/go.mod'), 'utf8'));
    assert.equal(mod.module, 'github.com/testdata/testdata');
    assert.equal(mod.goVersion, '1.17');
    assert.equal(mod.requires.length, 18);
    assert.equal(mod.requires.filter((r) => !r.indirect).length, 3);
    const v = new Map(mod.requires.map((r) => [r.path, r.version]));
    // The (module, version) pairs trivy's golden reports vulnerabilities for.
    assert.equal(v.get('github.com/docker/distribution'), 'v2.7.1+incompatible');
    assert.equal(v.get('github.com/open-policy-agent/opa'), 'v0.35.0');
    assert.equal(v.get('golang.org/x/text'), 'v0.3.6');
    const sub = parseGoMod(readFileSync(sharedData('trivy-integration/repo/gomod/submod/go.mod'), 'utf8'));
    assert.deepEqual(sub.requires, [{ path: 'github.com/docker/distribution', version: 'v2.7.1+incompatible', indirect: false }]);
  });

  test('single-line and block directives, comments, replacements', () => {
    const text = [
      'module "example.com/m" // quoted module path',
      'go 1.21',
      'toolchain go1.21.5',
      'require example.com/a v1.0.0',
      'require (',
      '  example.com/b v0.2.0 // indirect',
      '  example.com/c v1.1.0 // indirect; keep for tools',
      '  example.com/d v3.0.0+incompatible',
      '  example.com/local v0.0.0',
      ')',
      'replace example.com/a => example.com/a-fork v1.0.1',
      'replace (',
      '  example.com/b v0.2.0 => example.com/b v0.2.5',
      '  example.com/b v0.1.0 => example.com/b v0.1.9 // not the required version',
      '  example.com/local => ./local',
      ')',
      'exclude example.com/d v2.0.0',
      'retract [v0.9.0, v0.9.5]',
    ].join('\n');
    const mod = parseGoMod(text);
    assert.equal(mod.module, 'example.com/m');
    assert.equal(mod.toolchain, 'go1.21.5');
    assert.deepEqual(resolveGoModRequires(mod), [
      { path: 'example.com/a-fork', version: 'v1.0.1', indirect: false, replaced: { path: 'example.com/a', version: 'v1.0.0' } },
      { path: 'example.com/b', version: 'v0.2.5', indirect: true, replaced: { path: 'example.com/b', version: 'v0.2.0' } },
      { path: 'example.com/c', version: 'v1.1.0', indirect: true },
      { path: 'example.com/d', version: 'v3.0.0+incompatible', indirect: false },
    ]);
  });

  test('go.sum: content hashes only, last version per module', () => {
    const sum = [
      'example.com/a v1.0.0 h1:aaa=',
      'example.com/a v1.0.0/go.mod h1:bbb=',
      'example.com/a v1.2.0 h1:ccc=',
      'example.com/a v1.2.0/go.mod h1:ddd=',
      'example.com/only-mod v0.1.0/go.mod h1:eee=',
      'garbage',
    ].join('\n');
    assert.deepEqual(parseGoSum(sum), [{ path: 'example.com/a', version: 'v1.2.0' }]);
  });

  test('analyzer: go.sum completes a pre-1.17 go.mod, not a 1.17+ one', () => {
    const run = (goLine: string) => {
      const modPath = 'src/go.mod';
      const sumPath = 'src/go.sum';
      const mod = goModAnalyzer.analyze({ path: modPath, content: Buffer.from(`module x\n${goLine}\nrequire example.com/a v1.0.0\n`), meta: meta(modPath) });
      const sum = goModAnalyzer.analyze({ path: sumPath, content: Buffer.from('example.com/a v1.0.0 h1:x=\nexample.com/t v0.3.0 h1:y=\n'), meta: meta(sumPath) });
      assert.ok(mod && !(mod instanceof Promise) && sum && !(sum instanceof Promise));
      return goModAnalyzer.finalize([
        { path: modPath, layerIndex: 0, layerDigest: '', value: mod },
        { path: sumPath, layerIndex: 0, layerDigest: '', value: sum },
      ]).packages?.map((p) => `${p.name}@${p.version}${p.indirect ? ' indirect' : ''}`);
    };
    assert.deepEqual(run('go 1.15'), ['x@', 'example.com/a@v1.0.0', 'example.com/t@v0.3.0 indirect']);
    assert.deepEqual(run('go 1.17'), ['x@', 'example.com/a@v1.0.0']);
    assert.equal(goModAnalyzer.required('app/vendor/x/go.mod', meta('app/vendor/x/go.mod')), false);
    assert.equal(goModAnalyzer.required('app/go.mod', meta('app/go.mod')), true);
    assert.equal(goModAnalyzer.required('root/go/pkg/mod/github.com/x/y@v1.2.3/go.mod', meta('root/go/pkg/mod/github.com/x/y@v1.2.3/go.mod')), false);
    assert.equal(goModAnalyzer.required('root/go/pkg/mod/cache/download/github.com/x/y/@v/v1.2.3.mod', meta('x')), false);
    assert.equal(goModAnalyzer.required('src/pkg/mod/go.mod', meta('src/pkg/mod/go.mod')), true);
  });
});
