/**
 * Differential checks against skopeo (containers/image): what skopeo pushes, Portwarden pulls with
 * the same digests; what Portwarden's client pushes, skopeo reads and copies.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildImage, buildIndex, pushImage, writeOciLayout, type BuiltImage } from '../../helpers/image-builder.ts';
import { registryAvailable, startRegistry, type TestRegistry } from '../../helpers/registry.ts';
import { requireOrSkip } from '../../helpers/shared-data.ts';
import { openRegistrySource } from '../../../src/image/sources/registry.ts';
import { computeDigest } from '../../../src/image/registry/verify.ts';

const run = promisify(execFile);
const AVAILABLE = registryAvailable() && existsSync('/usr/bin/skopeo');

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

for (const auth of ['basic', 'token'] as const) {
  describe(`skopeo interop (${auth} auth)`, () => {
    let reg: TestRegistry;
    let dir: string;
    let skopeoAuth: string[];
    const creds = (): { username: string; password: string } => ({ username: reg.username ?? '', password: reg.password ?? '' });
    const isolated = { env: {}, dockerConfigPath: '/nonexistent/config.json', logger: { warn: () => {} } };

    before(async () => {
      if (!AVAILABLE) return;
      reg = await startRegistry({ auth });
      dir = await mkdtemp(path.join(os.tmpdir(), 'pw-interop-'));
      skopeoAuth = ['--creds', `${reg.username}:${reg.password}`];
    });
    after(async () => {
      await reg?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test('an image skopeo pushed is pulled with identical manifest, config and layers', async (t) => {
      if (!requireOrSkip(t, AVAILABLE, 'docker-registry and skopeo')) return;
      const img = await buildImage({ layers: [{ files: [{ path: 'etc/hostname', content: 'skopeo\n' }] }, { files: [{ path: 'bin/x', content: 'x', mode: 0o755 }] }] });
      await writeOciLayout(path.join(dir, 'src'), img, 'v1');
      await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', `${reg.username}:${reg.password}`, `oci:${path.join(dir, 'src')}:v1`, `docker://${reg.host}/from/skopeo:v1`]);
      const raw = (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', ...skopeoAuth, `docker://${reg.host}/from/skopeo:v1`])).stdout;
      const src = await openRegistrySource(`${reg.host}/from/skopeo:v1`, { ...isolated, credentials: creds() });
      assert.equal(src.digest, computeDigest(Buffer.from(raw)));
      const manifest = JSON.parse(raw) as { config: { digest: string }; layers: { digest: string }[] };
      assert.equal(src.configDigest, manifest.config.digest);
      assert.deepEqual(src.layers.map((l) => l.digest), manifest.layers.map((l) => l.digest));
      for (let i = 0; i < src.layers.length; i++) assert.equal(computeDigest(await readAll(await src.openLayer(i))), src.layers[i]?.digest);
    });

    test('an index Portwarden pushed is read by skopeo byte for byte, and skopeo can copy each platform', async (t) => {
      if (!requireOrSkip(t, AVAILABLE, 'docker-registry and skopeo')) return;
      const amd: BuiltImage = await buildImage({ layers: [{ files: [{ path: 'a', content: 'amd64' }] }] });
      const arm: BuiltImage = await buildImage({ layers: [{ files: [{ path: 'a', content: 'arm64' }] }], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
      const index = await buildIndex([amd, arm], 'docker');
      const { digest } = await pushImage(reg, 'from/portwarden', 'multi', index);
      const raw = (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', ...skopeoAuth, `docker://${reg.host}/from/portwarden:multi`])).stdout;
      assert.equal(computeDigest(Buffer.from(raw)), digest);
      const info = JSON.parse(
        (await run('skopeo', ['inspect', '--tls-verify=false', '--override-arch', 'arm64', '--override-variant', 'v8', ...skopeoAuth, `docker://${reg.host}/from/portwarden:multi`])).stdout,
      ) as { Digest: string; Architecture: string; Layers: string[] };
      assert.equal(info.Architecture, 'arm64');
      const ours = await openRegistrySource(`${reg.host}/from/portwarden:multi`, { ...isolated, credentials: creds(), platform: 'linux/arm64' });
      assert.deepEqual(ours.layers.map((l) => l.digest), info.Layers);
      await run('skopeo', ['copy', '--src-tls-verify=false', '--src-creds', `${reg.username}:${reg.password}`, `docker://${reg.host}/from/portwarden:multi`, `oci:${path.join(dir, 'copy')}:amd`]);
      const copied = JSON.parse((await run('skopeo', ['inspect', `oci:${path.join(dir, 'copy')}:amd`])).stdout) as { Digest: string };
      assert.equal(copied.Digest, amd.manifest.digest);
    });
  });
}
