import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { buildImage, buildIndex, pushImage, type BuiltImage } from '../../helpers/image-builder.ts';
import { freePort, registryAvailable, registryBlobPath, startRegistry, type TestRegistry } from '../../helpers/registry.ts';
import { requireOrSkip } from '../../helpers/shared-data.ts';
import { RegistryClient, type RegistryOptions } from '../../../src/image/registry/client.ts';
import { RegistryError } from '../../../src/image/registry/errors.ts';
import { openRegistrySource, resolveDigest, type RegistrySourceOptions } from '../../../src/image/sources/registry.ts';
import { PortwardenError } from '../../../src/util/errors.ts';

const AVAILABLE = registryAvailable();

/** Options isolating the client from the developer's environment and Docker config. */
function isolated(extra: RegistrySourceOptions = {}): RegistrySourceOptions {
  return { env: {}, dockerConfigPath: '/nonexistent/config.json', logger: { warn: () => {} }, retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...extra };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function sampleImages(kind: 'oci' | 'docker'): Promise<{ amd64: BuiltImage; arm64: BuiltImage }> {
  const amd64 = await buildImage({
    mediaTypes: kind,
    layers: [{ files: [{ path: 'etc/os-release', content: 'ID=debian\n' }] }, { files: [{ path: 'app/amd64', content: 'x86' }], compression: 'none' }],
  });
  const arm64 = await buildImage({
    mediaTypes: kind,
    platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    layers: [{ files: [{ path: 'app/arm64', content: 'arm' }], compression: kind === 'oci' ? 'zstd' : 'gzip' }],
  });
  return { amd64, arm64 };
}

async function assertPullsImage(reg: TestRegistry, ref: string, expected: BuiltImage, opts: RegistrySourceOptions): Promise<void> {
  const src = await openRegistrySource(ref, opts);
  assert.equal(src.digest, expected.manifest.digest);
  assert.equal(src.configDigest, expected.config.digest);
  assert.equal(src.manifestMediaType, expected.manifest.mediaType);
  assert.deepEqual(src.layers.map((l) => l.digest), expected.layers.map((l) => l.digest));
  assert.deepEqual(src.layers.map((l) => l.diffId), expected.diffIds);
  assert.equal(src.platform?.architecture, expected.platform.architecture);
  for (let i = 0; i < expected.layers.length; i++) {
    assert.deepEqual(await readAll(await src.openLayer(i)), expected.layers[i]?.data, `layer ${i} of ${ref} from ${reg.auth} registry`);
  }
  await src.close();
}

for (const auth of ['none', 'basic', 'token'] as const) {
  describe(`registry client against Distribution (${auth} auth)`, () => {
    let reg: TestRegistry;
    let images: { oci: { amd64: BuiltImage; arm64: BuiltImage }; docker: { amd64: BuiltImage; arm64: BuiltImage } };
    const creds = (): RegistryOptions['credentials'] => (reg.username && reg.password ? { username: reg.username, password: reg.password } : undefined);
    const opts = (extra: RegistrySourceOptions = {}): RegistrySourceOptions => {
      const c = creds();
      return isolated({ ...(c ? { credentials: c } : {}), ...extra });
    };

    before(async () => {
      if (!AVAILABLE) return;
      reg = await startRegistry({ auth });
      images = { oci: await sampleImages('oci'), docker: await sampleImages('docker') };
      for (const kind of ['oci', 'docker'] as const) {
        await pushImage(reg, `${kind}/single`, 'v1', images[kind].amd64);
        await pushImage(reg, `${kind}/multi`, 'v1', await buildIndex([images[kind].amd64, images[kind].arm64], kind));
      }
    });
    after(async () => {
      await reg?.stop();
    });

    for (const kind of ['oci', 'docker'] as const) {
      test(`pulls a single-platform ${kind} image and verifies every layer`, async (t) => {
        if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
        await assertPullsImage(reg, `${reg.host}/${kind}/single:v1`, images[kind].amd64, opts());
      });

      test(`selects platforms from a ${kind} index`, async (t) => {
        if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
        const ref = `${reg.host}/${kind}/multi:v1`;
        await assertPullsImage(reg, ref, images[kind].amd64, opts());
        await assertPullsImage(reg, ref, images[kind].arm64, opts({ platform: 'linux/arm64' }));
        const arm = await openRegistrySource(ref, opts({ platform: 'linux/arm64/v8' }));
        assert.match(arm.platformReason ?? '', /matched requested linux\/arm64/);
        assert.ok(arm.indexDigest?.startsWith('sha256:'));
        await assert.rejects(openRegistrySource(ref, opts({ platform: 'linux/s390x' })), (e: unknown) =>
          e instanceof PortwardenError && e.code === 'platform_not_found' && /available: linux\/amd64, linux\/arm64/.test(e.message));
      });
    }

    test('a single-platform image is used whatever platform was asked, with a warning', async (t) => {
      if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
      const warnings: string[] = [];
      const src = await openRegistrySource(`${reg.host}/oci/single:v1`, opts({ platform: 'linux/arm64', onWarning: (m) => warnings.push(m) }));
      assert.equal(src.platform?.architecture, 'amd64');
      assert.match(warnings.join('\n'), /single-platform image for linux\/amd64, not the requested linux\/arm64/);
    });

    test('resolveDigest answers with the manifest digest from a HEAD', async (t) => {
      if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
      assert.equal(await resolveDigest(`${reg.host}/oci/single:v1`, opts()), images.oci.amd64.manifest.digest);
      await assert.rejects(resolveDigest(`${reg.host}/oci/single:nope`, opts()), (e: unknown) => e instanceof RegistryError && e.code === 'not_found');
    });

    test('missing repository or tag is not_found naming the image', async (t) => {
      if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
      await assert.rejects(openRegistrySource(`${reg.host}/oci/single:missing`, opts()), (e: unknown) =>
        e instanceof RegistryError && e.code === 'not_found' && e.message.includes('oci/single:missing'));
    });

    if (auth !== 'none') {
      test('wrong password is a clear 401 error that never shows the password', async (t) => {
        if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
        const bad = isolated({ credentials: { username: reg.username ?? 'x', password: 'wrong-password-123' } });
        await assert.rejects(openRegistrySource(`${reg.host}/oci/single:v1`, bad), (e: unknown) => {
          assert.ok(e instanceof RegistryError, String(e));
          assert.equal(e.code, 'unauthorized');
          assert.match(e.message, /401/);
          assert.match(e.message, /credentials from --creds/);
          assert.doesNotMatch(e.message, /wrong-password-123/);
          return true;
        });
      });

      test('no credentials at all is unauthorized, saying how to provide them', async (t) => {
        if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
        await assert.rejects(openRegistrySource(`${reg.host}/oci/single:v1`, isolated()), (e: unknown) =>
          e instanceof RegistryError && e.code === 'unauthorized' && /no credentials/.test(e.message));
      });

      test('credentials from a Docker config.json and from PORTWARDEN_REGISTRY_AUTH', async (t) => {
        if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
        const dir = await mkdtemp(path.join(os.tmpdir(), 'pw-dockercfg-'));
        t.after(() => rm(dir, { recursive: true, force: true }));
        const auth64 = Buffer.from(`${reg.username}:${reg.password}`).toString('base64');
        await writeFile(path.join(dir, 'config.json'), JSON.stringify({ auths: { [`http://${reg.host}`]: { auth: auth64 } } }));
        const viaFile = await openRegistrySource(`${reg.host}/oci/single:v1`, { ...isolated(), env: { DOCKER_CONFIG: dir }, dockerConfigPath: undefined });
        assert.equal(viaFile.digest, images.oci.amd64.manifest.digest);
        const env = { PORTWARDEN_REGISTRY_AUTH: JSON.stringify({ [reg.host]: { username: reg.username, password: reg.password } }) };
        const viaEnv = await openRegistrySource(`${reg.host}/oci/single:v1`, isolated({ env }));
        assert.equal(viaEnv.digest, images.oci.amd64.manifest.digest);
      });
    }

    if (auth === 'token') {
      test('token scopes are requested per repository and cached until expiry', async (t) => {
        if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
        const client = new RegistryClient(opts());
        const before = reg.tokenRequests?.length ?? 0;
        await openRegistrySource(`${reg.host}/oci/single:v1`, opts({ client }));
        await openRegistrySource(`${reg.host}/oci/single:v1`, opts({ client }));
        await openRegistrySource(`${reg.host}/docker/single:v1`, opts({ client }));
        const issued = (reg.tokenRequests ?? []).slice(before);
        assert.deepEqual(issued.map((r) => r.scope), [['repository:oci/single:pull'], ['repository:docker/single:pull']]);
        assert.ok(issued.every((r) => r.account === reg.username));
      });

      test('parallel layer downloads share one token request', async (t) => {
        if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
        const client = new RegistryClient(opts());
        const before = reg.tokenRequests?.length ?? 0;
        const img = images.oci.amd64;
        const ref = { registry: reg.host, repository: 'oci/single' };
        const streams = await Promise.all(img.layers.map((l) => client.openBlob(ref, l.digest, l.size)));
        const bodies = await Promise.all(streams.map(readAll));
        assert.deepEqual(bodies, img.layers.map((l) => l.data));
        assert.equal((reg.tokenRequests?.length ?? 0) - before, 1);
      });

      test('push asks for pull,push and a cross-repository mount adds pull on the source', async (t) => {
        if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
        const client = new RegistryClient(opts());
        const layer = images.oci.amd64.layers[0];
        assert.ok(layer);
        const before = reg.tokenRequests?.length ?? 0;
        assert.equal(await client.pushBlob({ registry: reg.host, repository: 'mount/target' }, layer.digest, layer.data, { mountFrom: 'oci/single' }), 'mounted');
        assert.equal(await client.pushBlob({ registry: reg.host, repository: 'mount/target' }, layer.digest, layer.data), 'exists');
        const scopes = (reg.tokenRequests ?? []).slice(before).map((r) => r.scope);
        assert.deepEqual(scopes[0], ['repository:mount/target:pull,push', 'repository:oci/single:pull']);
      });
    }

    if (auth === 'none') {
      test('a corrupted blob in registry storage fails with a digest mismatch naming the digest', async (t) => {
        if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
        const img = await buildImage({ layers: [{ files: [{ path: 'victim', content: 'v'.repeat(4000) }] }] });
        await pushImage(reg, 'corrupt/me', 'v1', img);
        const layer = img.layers[0];
        assert.ok(layer);
        const tampered = Buffer.from(layer.data);
        tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 0xff;
        await writeFile(registryBlobPath(reg, layer.digest), tampered);
        const src = await openRegistrySource(`${reg.host}/corrupt/me:v1`, opts());
        await assert.rejects(readAll(await src.openLayer(0)), (e: unknown) =>
          e instanceof RegistryError && e.code === 'digest_mismatch' && e.message.includes(layer.digest));
        // The config is verified whole before the source opens.
        await writeFile(registryBlobPath(reg, img.config.digest), Buffer.from(img.config.data.toString().replace('amd64', 'arm64')));
        await assert.rejects(openRegistrySource(`${reg.host}/corrupt/me:v1`, opts()), (e: unknown) =>
          e instanceof RegistryError && e.code === 'digest_mismatch' && e.message.includes(img.config.digest));
      });

      test('a truncated blob in storage is a size mismatch, not silent short data', async (t) => {
        if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
        const img = await buildImage({ layers: [{ files: [{ path: 'short', content: 's'.repeat(3000) }] }] });
        await pushImage(reg, 'corrupt/short', 'v1', img);
        const layer = img.layers[0];
        assert.ok(layer);
        await writeFile(registryBlobPath(reg, layer.digest), layer.data.subarray(0, 10));
        const src = await openRegistrySource(`${reg.host}/corrupt/short:v1`, opts());
        // Caught from Content-Length before streaming, or by the verifier while streaming.
        await assert.rejects((async () => readAll(await src.openLayer(0)))(), (e: unknown) => e instanceof RegistryError && e.code === 'size_mismatch' && e.message.includes(layer.digest));
      });

      test('manifests over the size limit and images over the layer limit are refused', async (t) => {
        if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
        await assert.rejects(openRegistrySource(`${reg.host}/oci/single:v1`, opts({ maxManifestBytes: 100 })), (e: unknown) =>
          e instanceof RegistryError && e.code === 'manifest_too_large' && /100-byte limit/.test(e.message));
        await assert.rejects(openRegistrySource(`${reg.host}/oci/single:v1`, opts({ maxLayers: 1 })), (e: unknown) =>
          e instanceof RegistryError && e.code === 'too_many_layers' && /2 layers, over the limit of 1/.test(e.message));
      });

      test('push by digest, and a manifest pushed by digest is fetched and verified by digest', async (t) => {
        if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
        const img = images.docker.arm64;
        const client = new RegistryClient(opts());
        const repo = { registry: reg.host, repository: 'bydigest/img' };
        for (const b of [img.config, ...img.layers]) assert.equal(await client.pushBlob(repo, b.digest, b.data), 'uploaded');
        assert.equal(await client.pushManifest(repo, img.manifest.digest, img.manifest.data, img.manifest.mediaType), img.manifest.digest);
        const got = await client.getManifest(repo, img.manifest.digest);
        assert.deepEqual(got.bytes, img.manifest.data);
        assert.equal(got.mediaType, img.manifest.mediaType);
      });
    }
  });
}

describe('token registry with anonymous pull', () => {
  test('pulls without credentials; pushing without credentials is unauthorized', async (t) => {
    if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
    const reg = await startRegistry({ auth: 'token', anonymousPull: true });
    t.after(() => reg.stop());
    const img = await buildImage({ layers: [{ files: [{ path: 'pub', content: 'public' }] }] });
    await pushImage(reg, 'public/img', 'latest', img);
    const src = await openRegistrySource(`${reg.host}/public/img`, isolated());
    assert.equal(src.digest, img.manifest.digest);
    assert.ok(reg.tokenRequests?.some((r) => r.account === undefined && r.scope[0] === 'repository:public/img:pull'));
    const client = new RegistryClient(isolated());
    await assert.rejects(client.pushBlob({ registry: reg.host, repository: 'public/img2' }, img.config.digest, img.config.data), (e: unknown) =>
      e instanceof RegistryError && e.code === 'unauthorized');
  });
});

/** A loopback proxy in front of a registry that misbehaves on the first requests. */
async function flakyProxy(target: string, plan: (n: number) => { status: number; headers?: Record<string, string> } | undefined): Promise<{ host: string; requests: () => number; close(): Promise<void> }> {
  let n = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const answer = plan(n++);
    if (answer) {
      res.writeHead(answer.status, answer.headers ?? {});
      res.end('{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k, v]) => k !== 'host' && typeof v === 'string')) as Record<string, string>;
      const init: RequestInit = { method: req.method ?? 'GET', headers, redirect: 'manual' };
      if (chunks.length) init.body = Buffer.concat(chunks);
      fetch(`${target}${req.url ?? '/'}`, init)
        .then(async (up) => {
          const body = Buffer.from(await up.arrayBuffer());
          const out: Record<string, string> = {};
          up.headers.forEach((v, k) => {
            if (k !== 'content-encoding' && k !== 'transfer-encoding' && k !== 'connection') out[k] = v;
          });
          res.writeHead(up.status, out);
          res.end(req.method === 'HEAD' ? undefined : body);
        })
        .catch(() => {
          res.writeHead(502);
          res.end();
        });
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${port}`,
    requests: () => n,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('retries', () => {
  let reg: TestRegistry;
  let img: BuiltImage;
  before(async () => {
    if (!AVAILABLE) return;
    reg = await startRegistry();
    img = await buildImage({ layers: [{ files: [{ path: 'r', content: 'retry me' }] }] });
    await pushImage(reg, 'retry/img', 'v1', img);
  });
  after(async () => {
    await reg?.stop();
  });

  test('503 twice then success', async (t) => {
    if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
    const proxy = await flakyProxy(reg.url, (n) => (n < 2 ? { status: 503 } : undefined));
    t.after(() => proxy.close());
    const retries: { attempt: number; reason: string }[] = [];
    const src = await openRegistrySource(`${proxy.host}/retry/img:v1`, isolated({ onRetry: (r) => retries.push(r) }));
    assert.equal(src.digest, img.manifest.digest);
    assert.deepEqual(await readAll(await src.openLayer(0)), img.layers[0]?.data);
    assert.deepEqual(retries.map((r) => [r.attempt, r.reason]), [[1, 'HTTP 503'], [2, 'HTTP 503']]);
  });

  test('429 with Retry-After is honoured (the delay requested is the server\'s)', async (t) => {
    if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
    const proxy = await flakyProxy(reg.url, (n) => (n === 0 ? { status: 429, headers: { 'retry-after': '1' } } : undefined));
    t.after(() => proxy.close());
    const retries: { delayMs: number; reason: string }[] = [];
    const digest = await resolveDigest(`${proxy.host}/retry/img:v1`, isolated({ onRetry: (r) => retries.push(r) }));
    assert.equal(digest, img.manifest.digest);
    assert.deepEqual(retries.map((r) => [r.reason, r.delayMs]), [['HTTP 429', 1000]]);
  });

  test('persistent 503 gives up after the configured attempts with a clear error', async (t) => {
    if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
    const proxy = await flakyProxy(reg.url, () => ({ status: 503 }));
    t.after(() => proxy.close());
    await assert.rejects(openRegistrySource(`${proxy.host}/retry/img:v1`, isolated({ retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } })), (e: unknown) =>
      e instanceof RegistryError && e.code === 'registry_unavailable' && /HTTP 503 after 3 attempts/.test(e.message));
    assert.equal(proxy.requests(), 3);
  });

  test('connection refused: retried, then a clear error naming the host', async () => {
    const port = await freePort();
    const retries: number[] = [];
    await assert.rejects(
      openRegistrySource(`127.0.0.1:${port}/nothing/here:v1`, isolated({ retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, onRetry: (r) => retries.push(r.attempt) })),
      (e: unknown) => e instanceof RegistryError && e.code === 'registry_unavailable' && e.message.includes(`127.0.0.1:${port}`) && /after 3 attempts/.test(e.message),
    );
    assert.deepEqual(retries, [1, 2]);
  });

  test('an aborted signal stops the retry loop', async (t) => {
    if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
    const proxy = await flakyProxy(reg.url, () => ({ status: 503 }));
    t.after(() => proxy.close());
    const controller = new AbortController();
    const pending = openRegistrySource(`${proxy.host}/retry/img:v1`, isolated({ signal: controller.signal, retry: { attempts: 10, baseDelayMs: 60_000, maxDelayMs: 60_000 }, onRetry: () => controller.abort(new Error('user cancelled')) }));
    await assert.rejects(pending, /user cancelled/);
  });
});

describe('attaching a document to an image (how reports will be pushed)', () => {
  test('an OCI artifact manifest with a subject is pushed under the referrers fallback tag and read back verified', async (t) => {
    if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
    const reg = await startRegistry({ auth: 'token' });
    t.after(() => reg.stop());
    const img = await buildImage({ layers: [{ files: [{ path: 'app', content: 'app' }] }] });
    const { digest: subject } = await pushImage(reg, 'app/with-report', 'v1', img);
    const client = new RegistryClient(isolated({ credentials: { username: reg.username ?? '', password: reg.password ?? '' } }));
    const repo = { registry: reg.host, repository: 'app/with-report' };
    const report = Buffer.from(JSON.stringify({ findings: [] }));
    const empty = Buffer.from('{}');
    const { computeDigest } = await import('../../../src/image/registry/verify.ts');
    await client.pushBlob(repo, computeDigest(report), report);
    await client.pushBlob(repo, computeDigest(empty), empty);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: 'application/vnd.portwarden.report.v1+json',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: computeDigest(empty), size: empty.length },
        layers: [{ mediaType: 'application/vnd.portwarden.report.v1+json', digest: computeDigest(report), size: report.length }],
        subject: { mediaType: img.manifest.mediaType, digest: subject, size: img.manifest.size },
      }),
    );
    // Distribution 2.8 has no referrers API; the OCI 1.1 fallback is the tag `<alg>-<hex>` of the subject.
    const fallbackTag = subject.replace(':', '-');
    const digest = await client.pushManifest(repo, fallbackTag, manifest, 'application/vnd.oci.image.manifest.v1+json');
    const back = await client.getManifest(repo, fallbackTag);
    assert.equal(back.digest, digest);
    const doc = JSON.parse(back.bytes.toString()) as { layers: { digest: string; size: number }[] };
    const layer = doc.layers[0];
    assert.ok(layer);
    assert.deepEqual(await client.getBlobBytes(repo, layer.digest, layer.size, 1 << 20, 'report'), report);
    // A scan of the tag still sees only the image; the artifact is not mistaken for one.
    await assert.rejects(openRegistrySource(`${reg.host}/app/with-report:${fallbackTag}`, isolated({ credentials: { username: reg.username ?? '', password: reg.password ?? '' } })), (e: unknown) =>
      e instanceof RegistryError && e.code === 'unsupported_manifest' && /not a container image/.test(e.message));
  });
});
