/**
 * Registry pull throughput on loopback against a real Distribution 2.8: one 256 MiB layer streamed
 * through the client (token auth, digest verified while streaming), compared with `skopeo copy` of
 * the same image to a dir: target; plus manifest resolution latency with a warm token cache.
 * Run: npm run bench -- registry-pull
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildImage, makeTar, pushImage } from '../test/helpers/image-builder.ts';
import { registryAvailable, startRegistry } from '../test/helpers/registry.ts';
import { RegistryClient } from '../src/image/registry/client.ts';
import { openRegistrySource } from '../src/image/sources/registry.ts';

const run = promisify(execFile);
const LAYER_MIB = 256;

if (!registryAvailable()) {
  console.log('docker-registry not installed; skipped');
  process.exit(0);
}

const reg = await startRegistry({ auth: 'token' });
const dir = await mkdtemp(path.join(os.tmpdir(), 'pw-bench-reg-'));
try {
  const tar = await makeTar([{ path: 'blob.bin', content: randomBytes(LAYER_MIB * 1024 * 1024) }]);
  const img = await buildImage({ layers: [{ rawTar: tar, compression: 'none' }] });
  await pushImage(reg, 'bench/big', 'v1', img);
  const creds = { username: reg.username ?? '', password: reg.password ?? '' };
  const opts = { credentials: creds, env: {}, dockerConfigPath: '/nonexistent', logger: { warn: () => {} } };
  const mib = tar.length / 1024 / 1024;

  const times: number[] = [];
  let peakRss = 0;
  for (let i = 0; i < 3; i++) {
    const rssBefore = process.memoryUsage().rss;
    const start = process.hrtime.bigint();
    const src = await openRegistrySource(`${reg.host}/bench/big:v1`, opts);
    let bytes = 0;
    for await (const chunk of await src.openLayer(0)) {
      bytes += (chunk as Buffer).length;
      peakRss = Math.max(peakRss, process.memoryUsage().rss - rssBefore);
    }
    if (bytes !== tar.length) throw new Error(`short read: ${bytes}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const best = Math.min(...times);
  console.log(`portwarden pull+verify ${mib.toFixed(0)} MiB layer: best ${best.toFixed(0)} ms = ${((mib * 1000) / best).toFixed(0)} MiB/s (runs: ${times.map((t) => t.toFixed(0)).join(', ')} ms); RSS growth while streaming ≤ ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);

  const skopeoTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const out = path.join(dir, `skopeo-${i}`);
    const start = process.hrtime.bigint();
    await run('skopeo', ['copy', '--src-tls-verify=false', '--src-creds', `${creds.username}:${creds.password}`, `docker://${reg.host}/bench/big:v1`, `dir:${out}`]);
    skopeoTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
    await rm(out, { recursive: true, force: true });
  }
  const skBest = Math.min(...skopeoTimes);
  console.log(`skopeo copy docker:// → dir: (writes to disk)  : best ${skBest.toFixed(0)} ms = ${((mib * 1000) / skBest).toFixed(0)} MiB/s`);

  const client = new RegistryClient(opts);
  const ref = { registry: reg.host, repository: 'bench/big' };
  await client.resolveManifestDigest(ref, 'v1');
  const n = 500;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await client.resolveManifestDigest(ref, 'v1');
  const per = Number(process.hrtime.bigint() - start) / 1e6 / n;
  console.log(`resolveDigest (HEAD, cached token) x${n}: ${per.toFixed(2)} ms each`);
} finally {
  await reg.stop();
  await rm(dir, { recursive: true, force: true });
}
