/** A pushed image walked straight from the registry through openSource + walkImage (the layers engineer's walker). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { buildImage, buildIndex, pushImage } from '../../helpers/image-builder.ts';
import { registryAvailable, startRegistry } from '../../helpers/registry.ts';
import { requireOrSkip } from '../../helpers/shared-data.ts';
import { openSource } from '../../../src/image/open.ts';
import { walkImage } from '../../../src/image/walk.ts';

describe('registry → openSource → walkImage', () => {
  test('final filesystem of a multi-layer, multi-compression image pulled with token auth', async (t) => {
    if (!requireOrSkip(t, registryAvailable(), 'docker-registry')) return;
    const reg = await startRegistry({ auth: 'token' });
    t.after(() => reg.stop());
    const amd = await buildImage({
      layers: [
        { files: [{ path: 'etc/', type: 'dir' }, { path: 'etc/os-release', content: 'ID=debian\n' }, { path: 'tmp/gone', content: 'x' }] },
        { files: [{ path: 'tmp/.wh.gone', content: '' }, { path: 'usr/bin/tool', content: 'bin', mode: 0o755 }], compression: 'zstd' },
        { files: [{ path: 'usr/bin/alias', type: 'symlink', linkname: 'tool' }], compression: 'none' },
      ],
    });
    const arm = await buildImage({ layers: [{ files: [{ path: 'arm-only', content: 'a' }] }], platform: { os: 'linux', architecture: 'arm64' } });
    await pushImage(reg, 'e2e/app', '1.0', await buildIndex([amd, arm]));
    const warnings: string[] = [];
    const source = await openSource(`docker://${reg.host}/e2e/app:1.0`, {
      creds: { username: reg.username ?? '', password: reg.password ?? '' },
      onWarning: (m) => warnings.push(m),
    });
    t.after(() => source.close());
    assert.equal(source.transport, 'registry');
    assert.equal(source.digest, amd.manifest.digest);
    assert.equal(source.platform?.architecture, 'amd64');
    const result = await walkImage(source, { analyzers: [], collectTree: true });
    const paths = (result.tree ?? []).map((f) => f.path);
    assert.ok(paths.includes('etc/os-release'));
    assert.ok(paths.includes('usr/bin/tool'));
    assert.ok(paths.includes('usr/bin/alias'));
    assert.ok(!paths.includes('tmp/gone'), 'whiteout applied');
    assert.ok(!paths.includes('arm-only'));
    assert.equal(result.stats.layers, 3);
  });
});
