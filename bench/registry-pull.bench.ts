/**
 * Registry pull throughput on loopback against a real Distribution 2.8: one 256 MiB layer streamed
 * through the client (token auth, digest verified while streaming), compared with `skopeo copy` of
 * the same image to a dir: target; plus manifest resolution latency with a warm token cache.
 * Run: npm run bench -- registry-pull
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildImage, makeTar, pushImage } from '../test/helpers/image-builder.ts';
import { registryAvailable, startRegistry } from '../test/helpers/registry.ts';
import { RegistryClient } from '../src/image/registry/client.ts';
import { openRegistrySource } from '../src/image/sources/registry.ts';
import { envNumber, formatTiming, machineLine, measureAsync, MiB, type Timing } from './lib.ts';

const run = promisify(execFile);
const haveSkopeo = spawnSync('skopeo', ['--version'], { stdio: 'ignore' }).status === 0;
/** PORTWARDEN_BENCH_LAYER_MIB=16 for a quick check that the bench runs. */
const LAYER_MIB = envNumber('PORTWARDEN_BENCH_LAYER_MIB', 256);

if (!registryAvailable()) {
  console.log('docker-registry not installed; skipped');
  process.exit(0);
}

console.log(machineLine());
const reg = await startRegistry({ auth: 'token' });
const dir = await mkdtemp(path.join(os.tmpdir(), 'pw-bench-reg-'));
try {
  const tar = await makeTar([{ path: 'blob.bin', content: randomBytes(LAYER_MIB * MiB) }]);
  const img = await buildImage({ layers: [{ rawTar: tar, compression: 'none' }] });
  await pushImage(reg, 'bench/big', 'v1', img);
  const creds = { username: reg.username ?? '', password: reg.password ?? '' };
  const opts = { credentials: creds, env: {}, dockerConfigPath: '/nonexistent', logger: { warn: () => {} } };
  const mib = tar.length / MiB;

  const pulls: Timing[] = [];
  let peakRss = 0;
  for (let i = 0; i < 3; i++) {
    const rssBefore = process.memoryUsage().rss;
    pulls.push(await measureAsync(async () => {
      const src = await openRegistrySource(`${reg.host}/bench/big:v1`, opts);
      let bytes = 0;
      for await (const chunk of await src.openLayer(0)) {
        bytes += (chunk as Buffer).length;
        peakRss = Math.max(peakRss, process.memoryUsage().rss - rssBefore);
      }
      if (bytes !== tar.length) throw new Error(`short read: ${bytes}`);
    }));
  }
  const best = Math.min(...pulls.map((p) => p.wallMs));
  const bestCpu = Math.min(...pulls.map((p) => p.cpuMs));
  console.log(`portwarden pull+verify ${mib.toFixed(0)} MiB layer: best ${best.toFixed(0)} ms (${bestCpu.toFixed(0)} ms CPU) = ${((mib * 1000) / best).toFixed(0)} MiB/s (runs: ${pulls.map((t) => t.wallMs.toFixed(0)).join(', ')} ms); RSS growth while streaming ≤ ${(peakRss / MiB).toFixed(0)} MiB`);

  if (haveSkopeo) {
    const skopeoTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const out = path.join(dir, `skopeo-${i}`);
      // Wall time only: skopeo's CPU is spent in a child process.
      const { wallMs } = await measureAsync(() => run('skopeo', ['copy', '--src-tls-verify=false', '--src-creds', `${creds.username}:${creds.password}`, `docker://${reg.host}/bench/big:v1`, `dir:${out}`]));
      skopeoTimes.push(wallMs);
      await rm(out, { recursive: true, force: true });
    }
    const skBest = Math.min(...skopeoTimes);
    console.log(`skopeo copy docker:// → dir: (writes to disk)  : best ${skBest.toFixed(0)} ms = ${((mib * 1000) / skBest).toFixed(0)} MiB/s`);
  } else {
    console.log('skopeo not installed: no comparison (apt-get install skopeo)');
  }

  const client = new RegistryClient(opts);
  const ref = { registry: reg.host, repository: 'bench/big' };
  await client.resolveManifestDigest(ref, 'v1');
  const n = 500;
  const heads = await measureAsync(async () => {
    for (let i = 0; i < n; i++) await client.resolveManifestDigest(ref, 'v1');
  });
  console.log(`resolveDigest (HEAD, cached token) x${n}: ${formatTiming({ wallMs: heads.wallMs / n, cpuMs: heads.cpuMs / n })} each`);
} finally {
  await reg.stop();
  await rm(dir, { recursive: true, force: true });
}
