/**
 * The client against a scripted, misbehaving registry (node:http on loopback): wrong digests,
 * endless bodies, oversized chunked manifests, cross-origin redirects, absurd Retry-After.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildImage } from '../../helpers/image-builder.ts';
import { freePort, registryAvailable, startRegistry } from '../../helpers/registry.ts';
import { requireOrSkip } from '../../helpers/shared-data.ts';
import { RegistryClient } from '../../../src/image/registry/client.ts';
import { RegistryError } from '../../../src/image/registry/errors.ts';
import { computeDigest } from '../../../src/image/registry/verify.ts';
import { openRegistrySource } from '../../../src/image/sources/registry.ts';
import { pushImage } from '../../helpers/image-builder.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(t: { after(fn: () => Promise<void>): void }, handler: Handler): Promise<string> {
  const server = createServer(handler);
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `127.0.0.1:${port}`;
}

const isolated = { env: {}, dockerConfigPath: '/nonexistent/config.json', logger: { warn: () => {} }, retry: { baseDelayMs: 1, maxDelayMs: 2 } };
const isCode = (code: string, re?: RegExp) => (e: unknown): boolean => e instanceof RegistryError && e.code === code && (!re || re.test(e.message));

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('hostile registries', () => {
  test('a tag manifest whose Docker-Content-Digest does not match the bytes is refused', async (t) => {
    const img = await buildImage({ layers: [] });
    const host = await serve(t, (req, res) => {
      if (req.url?.includes('/manifests/')) {
        res.writeHead(200, { 'content-type': img.manifest.mediaType, 'docker-content-digest': `sha256:${'0'.repeat(64)}` });
        res.end(img.manifest.data);
        return;
      }
      res.writeHead(200).end();
    });
    await assert.rejects(openRegistrySource(`${host}/x/y:t`, isolated), isCode('digest_mismatch', /sha256:0{64}/));
  });

  test('a child manifest that does not hash to the digest in the index is refused', async (t) => {
    const amd = await buildImage({ layers: [] });
    const other = await buildImage({ layers: [{ files: [{ path: 'evil', content: 'evil' }] }] });
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: amd.manifest.mediaType, digest: amd.manifest.digest, size: amd.manifest.size, platform: amd.platform }] };
    const host = await serve(t, (req, res) => {
      if (req.url?.endsWith('/manifests/t')) {
        res.writeHead(200, { 'content-type': index.mediaType });
        res.end(JSON.stringify(index));
      } else {
        res.writeHead(200, { 'content-type': amd.manifest.mediaType });
        res.end(other.manifest.data);
      }
    });
    await assert.rejects(openRegistrySource(`${host}/x/y:t`, isolated), isCode('digest_mismatch', new RegExp(amd.manifest.digest)));
  });

  test('an oversized manifest sent chunked (no Content-Length) is cut off at the limit', async (t) => {
    let sent = 0;
    const host = await serve(t, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (sent < 64 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('close', () => {
        sent = Infinity;
      });
      pump();
    });
    await assert.rejects(openRegistrySource(`${host}/x/y:t`, { ...isolated, maxManifestBytes: 256 * 1024 }), isCode('manifest_too_large', /262144-byte limit/));
  });

  test('a blob longer than its descriptor fails early instead of streaming forever', async (t) => {
    const img = await buildImage({ layers: [{ files: [{ path: 'a', content: 'a' }] }] });
    const layer = img.layers[0];
    assert.ok(layer);
    const host = await serve(t, (req, res) => {
      if (req.url?.includes('/manifests/')) {
        res.writeHead(200, { 'content-type': img.manifest.mediaType });
        res.end(img.manifest.data);
      } else if (req.url?.endsWith(img.config.digest)) {
        res.writeHead(200).end(img.config.data);
      } else {
        res.writeHead(200);
        const interval = setInterval(() => res.write(Buffer.alloc(16 * 1024, 1)), 1);
        res.on('close', () => clearInterval(interval));
      }
    });
    const src = await openRegistrySource(`${host}/x/y:t`, isolated);
    await assert.rejects(readAll(await src.openLayer(0)), isCode('size_mismatch', new RegExp(`${layer.digest}: more than the ${layer.size} bytes`)));
  });

  test('Authorization is not forwarded when a blob redirect leaves the registry origin', async (t) => {
    const blob = Buffer.from('redirected blob');
    const digest = computeDigest(blob);
    const seenAuth: (string | undefined)[] = [];
    const storage = await serve(t, (req, res) => {
      seenAuth.push(req.headers.authorization);
      res.writeHead(200).end(blob);
    });
    const basic = `Basic ${Buffer.from('u:p').toString('base64')}`;
    const registry = await serve(t, (req, res) => {
      if (req.headers.authorization !== basic) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
        return;
      }
      res.writeHead(307, { location: `http://${storage}/bucket/${digest}?sig=1` }).end();
    });
    const client = new RegistryClient({ ...isolated, credentials: { username: 'u', password: 'p' } });
    const data = await readAll(await client.openBlob({ registry, repository: 'x/y' }, digest, blob.length));
    assert.deepEqual(data, blob);
    assert.deepEqual(seenAuth, [undefined]);
  });

  test('an open /v2/ with a protected repository: probed once, credentials sent after the 401', async (t) => {
    const img = await buildImage({ layers: [] });
    const basic = `Basic ${Buffer.from('u:p').toString('base64')}`;
    const seen: string[] = [];
    const host = await serve(t, (req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ? 'auth' : 'anon'}`);
      if (req.url === '/v2/') {
        res.writeHead(200).end('{}');
      } else if (req.headers.authorization !== basic) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="repo"' }).end();
      } else {
        res.writeHead(200, { 'content-type': img.manifest.mediaType, 'docker-content-digest': img.manifest.digest }).end();
      }
    });
    const client = new RegistryClient({ ...isolated, credentials: { username: 'u', password: 'p' } });
    const ref = { registry: host, repository: 'x/y' };
    assert.equal(await client.resolveManifestDigest(ref, 't'), img.manifest.digest);
    assert.equal(await client.resolveManifestDigest(ref, 't'), img.manifest.digest);
    assert.deepEqual(seen, ['GET /v2/ anon', 'HEAD /v2/x/y/manifests/t anon', 'HEAD /v2/x/y/manifests/t auth', 'HEAD /v2/x/y/manifests/t auth']);
  });

  test('an absurd Retry-After is capped by the policy', async (t) => {
    let n = 0;
    const img = await buildImage({ layers: [] });
    const host = await serve(t, (_req, res) => {
      if (n++ === 0) {
        res.writeHead(429, { 'retry-after': '86400' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': img.manifest.mediaType, 'docker-content-digest': img.manifest.digest }).end();
    });
    const delays: number[] = [];
    const client = new RegistryClient({ ...isolated, retry: { maxRetryAfterMs: 20 }, onRetry: (r) => delays.push(r.delayMs) });
    assert.equal(await client.resolveManifestDigest({ registry: host, repository: 'x/y' }, 't'), img.manifest.digest);
    assert.deepEqual(delays, [20]);
  });

  test('a token endpoint answering garbage is a registry error, not a crash', async (t) => {
    let registry = '';
    const tokenHost = await serve(t, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('<html>nope');
    });
    registry = await serve(t, (_req, res) => {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${tokenHost}/token",service="s"` }).end();
    });
    await assert.rejects(openRegistrySource(`${registry}/x/y:t`, isolated), isCode('registry_error', /invalid JSON/));
  });

  test('short-lived tokens are reused while valid, then renewed after a 401', async (t) => {
    const img = await buildImage({ layers: [] });
    let issued = 0;
    let rejectNext = false;
    const tokenHost = await serve(t, (_req, res) => {
      issued++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `t${issued}`, expires_in: 8 }));
    });
    const registry = await serve(t, (req, res) => {
      if (!req.headers.authorization?.startsWith('Bearer ') || rejectNext) {
        rejectNext = false;
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${tokenHost}/token",service="s",error="invalid_token"` }).end();
        return;
      }
      res.writeHead(200, { 'content-type': img.manifest.mediaType, 'docker-content-digest': img.manifest.digest }).end();
    });
    const client = new RegistryClient(isolated);
    const ref = { registry, repository: 'x/y' };
    await client.resolveManifestDigest(ref, 't');
    await client.resolveManifestDigest(ref, 't');
    assert.equal(issued, 1, 'an 8 s token is still fresh for the second request');
    rejectNext = true;
    assert.equal(await client.resolveManifestDigest(ref, 't'), img.manifest.digest);
    assert.equal(issued, 2, 'a token the registry rejects is replaced once');
  });

  test('foreign (Windows base) layers are skipped with a warning; diff ids stay aligned', async (t) => {
    const img = await buildImage({ layers: [{ files: [{ path: 'a', content: 'a' }] }, { files: [{ path: 'b', content: 'b' }] }] });
    const manifest = JSON.parse(img.manifest.data.toString()) as { layers: { mediaType: string; urls?: string[] }[] };
    const first = manifest.layers[0];
    assert.ok(first);
    first.mediaType = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';
    first.urls = ['https://mcr.example/blob'];
    const bytes = Buffer.from(JSON.stringify(manifest));
    const host = await serve(t, (req, res) => {
      if (req.url?.includes('/manifests/')) res.writeHead(200, { 'content-type': img.manifest.mediaType }).end(bytes);
      else if (req.url?.endsWith(img.config.digest)) res.writeHead(200).end(img.config.data);
      else if (req.url?.endsWith(img.layers[1]?.digest ?? '-')) res.writeHead(200).end(img.layers[1]?.data);
      else res.writeHead(404).end();
    });
    const warnings: string[] = [];
    const src = await openRegistrySource(`${host}/win/img:t`, { ...isolated, onWarning: (m) => warnings.push(m) });
    assert.deepEqual(src.layers.map((l) => [l.digest, l.diffId]), [[img.layers[1]?.digest, img.diffIds[1]]]);
    assert.match(warnings.join('\n'), new RegExp(`skipping foreign \\(non-distributable\\) layer ${img.layers[0]?.digest}`));
    assert.deepEqual(await readAll(await src.openLayer(0)), img.layers[1]?.data);
  });

  test('a layer whose media type is not a filesystem layer is refused', async (t) => {
    const img = await buildImage({ layers: [{ files: [{ path: 'a', content: 'a' }] }] });
    const manifest = JSON.parse(img.manifest.data.toString()) as { layers: { mediaType: string }[] };
    manifest.layers[0]!.mediaType = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
    const host = await serve(t, (req, res) => {
      if (req.url?.includes('/manifests/')) res.writeHead(200, { 'content-type': img.manifest.mediaType }).end(JSON.stringify(manifest));
      else res.writeHead(200).end(img.config.data);
    });
    await assert.rejects(openRegistrySource(`${host}/x/y:t`, isolated), isCode('unsupported_media_type', /helm\.chart\.content/));
  });

  test('schema 1 manifests are refused as unsupported', async (t) => {
    const host = await serve(t, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }).end(JSON.stringify({ schemaVersion: 1, name: 'x/y', tag: 't', fsLayers: [] }));
    });
    await assert.rejects(openRegistrySource(`${host}/x/y:t`, isolated), isCode('unsupported_manifest', /schema 1 is not supported/));
  });
});

describe('identity tokens (OAuth2 refresh) from the Docker config', () => {
  test('a refresh token in config.json is exchanged by POST for an access token', async (t) => {
    if (!requireOrSkip(t, registryAvailable(), 'docker-registry')) return;
    const reg = await startRegistry({ auth: 'token' });
    t.after(() => reg.stop());
    const img = await buildImage({ layers: [{ files: [{ path: 'f', content: 'f' }] }] });
    await pushImage(reg, 'oauth/img', 'v1', img);
    // The realm is advertised by the registry's challenge.
    const challenge = (await fetch(`${reg.url}/v2/`)).headers.get('www-authenticate') ?? '';
    const realm = /realm="([^"]+)"/.exec(challenge)?.[1] ?? '';
    const grant = await fetch(realm, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: reg.username ?? '', password: reg.password ?? '', service: 'portwarden-test-registry', client_id: 'test' }),
    });
    const { refresh_token: refreshToken } = (await grant.json()) as { refresh_token: string };
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pw-idtoken-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { identitytoken: refreshToken } } }));
    const before = reg.tokenRequests?.length ?? 0;
    const src = await openRegistrySource(`${reg.host}/oauth/img:v1`, { env: { DOCKER_CONFIG: dir }, logger: { warn: () => {} } });
    assert.equal(src.digest, img.manifest.digest);
    const issued = (reg.tokenRequests ?? []).slice(before);
    assert.deepEqual(issued, [{ scope: ['repository:oauth/img:pull'], account: reg.username }]);
  });
});

describe('scheme selection', () => {
  const digest = `sha256:${'c'.repeat(64)}`;
  async function originUsed(opts: { insecureRegistries?: string[]; env?: Record<string, string> }, registry: string): Promise<string> {
    const { MockAgent } = await import('undici');
    const agent = new MockAgent();
    agent.disableNetConnect();
    let used = '';
    for (const origin of [`http://${registry}`, `https://${registry}`]) {
      agent
        .get(origin)
        .intercept({ path: '/v2/x/y/manifests/t', method: 'HEAD' })
        .reply(() => {
          used = origin;
          return { statusCode: 200, data: '', responseOptions: { headers: { 'docker-content-digest': digest } } };
        })
        .persist();
    }
    const client = new RegistryClient({ ...isolated, ...opts, env: opts.env ?? {}, dispatcher: agent });
    assert.equal(await client.resolveManifestDigest({ registry, repository: 'x/y' }, 't'), digest);
    await agent.close();
    return used;
  }

  test('HTTPS by default; plain HTTP for loopback and listed insecure registries', async () => {
    assert.equal(await originUsed({}, 'reg.example.com:5000'), 'https://reg.example.com:5000');
    assert.equal(await originUsed({}, 'localhost:5000'), 'http://localhost:5000');
    assert.equal(await originUsed({ insecureRegistries: ['http://reg.example.com:5000/'] }, 'reg.example.com:5000'), 'http://reg.example.com:5000');
    assert.equal(await originUsed({ insecureRegistries: ['reg.example.com'] }, 'reg.example.com:5000'), 'http://reg.example.com:5000');
    assert.equal(await originUsed({ env: { PORTWARDEN_INSECURE_REGISTRIES: 'other.io, reg.example.com:5000' } }, 'reg.example.com:5000'), 'http://reg.example.com:5000');
    assert.equal(await originUsed({ insecureRegistries: ['reg.example.com:6000'] }, 'reg.example.com:5000'), 'https://reg.example.com:5000');
  });
});

describe('proxies from the environment', () => {
  test('HTTP_PROXY tunnels non-loopback registries; NO_PROXY and loopback go direct', async (t) => {
    if (!requireOrSkip(t, registryAvailable(), 'docker-registry')) return;
    const reg = await startRegistry();
    t.after(() => reg.stop());
    const img = await buildImage({ layers: [{ files: [{ path: 'p', content: 'proxied' }] }] });
    await pushImage(reg, 'via/proxy', 'v1', img);
    const registryPort = Number(reg.host.split(':')[1]);
    const tunnels: string[] = [];
    const { createConnection } = await import('node:net');
    const proxy = createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req: IncomingMessage, client: import('node:net').Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      // The proxy resolves the made-up registry name to the loopback registry.
      const upstream = createConnection(registryPort, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    const proxyPort = await freePort();
    await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => {
      proxy.closeAllConnections();
      proxy.close(() => r());
    }));
    const name = `registry.portwarden.test:${registryPort}`;
    const base = { ...isolated, insecureRegistries: [name] };
    const src = await openRegistrySource(`${name}/via/proxy:v1`, { ...base, env: { HTTP_PROXY: `http://127.0.0.1:${proxyPort}` } });
    assert.equal(src.digest, img.manifest.digest);
    assert.deepEqual(await readAll(await src.openLayer(0)), img.layers[0]?.data);
    assert.ok(tunnels.length >= 1 && tunnels.every((u) => u === name), JSON.stringify(tunnels));
    const before = tunnels.length;
    await openRegistrySource(`${reg.host}/via/proxy:v1`, { ...base, env: { HTTP_PROXY: `http://127.0.0.1:${proxyPort}` } });
    assert.equal(tunnels.length, before, 'loopback registry bypasses the proxy');
    await assert.rejects(
      openRegistrySource(`${name}/via/proxy:v1`, { ...base, retry: { attempts: 1 }, env: { HTTP_PROXY: `http://127.0.0.1:${proxyPort}`, NO_PROXY: 'registry.portwarden.test' } }),
      (e: unknown) => e instanceof RegistryError && e.code === 'registry_unavailable',
    );
    assert.equal(tunnels.length, before, 'NO_PROXY host went direct (and the made-up name does not resolve)');
  });
});

describe('resuming interrupted blob downloads', () => {
  test('a connection cut mid-layer resumes with Range against the real registry and verifies', async (t) => {
    if (!requireOrSkip(t, registryAvailable(), 'docker-registry')) return;
    const reg = await startRegistry();
    t.after(() => reg.stop());
    const { randomBytes } = await import('node:crypto');
    const img = await buildImage({ layers: [{ files: [{ path: 'big.bin', content: randomBytes(3 * 1024 * 1024) }], compression: 'none' }] });
    const layer = img.layers[0];
    assert.ok(layer);
    await pushImage(reg, 'resume/me', 'v1', img);
    const ranges: (string | undefined)[] = [];
    let cut = false;
    const host = await serve(t, (req, res) => {
      const isLayer = req.url?.endsWith(layer.digest) ?? false;
      if (isLayer) ranges.push(req.headers.range);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host') headers[k] = v;
      fetch(`${reg.url}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, redirect: 'manual' })
        .then(async (up) => {
          const body = Buffer.from(await up.arrayBuffer());
          const out: Record<string, string> = {};
          up.headers.forEach((v, k) => {
            if (k !== 'content-encoding' && k !== 'transfer-encoding' && k !== 'connection') out[k] = v;
          });
          res.writeHead(up.status, out);
          if (isLayer && !cut) {
            cut = true;
            // Half the body, then the socket dies: what a flaky network does to a big layer.
            res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
            return;
          }
          res.end(req.method === 'HEAD' ? undefined : body);
        })
        .catch(() => res.writeHead(502).end());
    });
    const retries: string[] = [];
    const src = await openRegistrySource(`${host}/resume/me:v1`, { ...isolated, onRetry: (r) => retries.push(r.reason) });
    const data = await readAll(await src.openLayer(0));
    assert.equal(computeDigest(data), layer.digest);
    assert.equal(ranges.length, 2);
    assert.equal(ranges[0], undefined);
    assert.match(ranges[1] ?? '', /^bytes=\d+-$/);
    assert.ok(Number(/\d+/.exec(ranges[1] ?? '')?.[0]) > 0);
    assert.match(retries.join('\n'), /resuming at byte \d+/);
  });

  test('a consumer that stops reading early does not leave the download running', async (t) => {
    if (!requireOrSkip(t, registryAvailable(), 'docker-registry')) return;
    const reg = await startRegistry();
    t.after(() => reg.stop());
    const { randomBytes } = await import('node:crypto');
    const img = await buildImage({ layers: [{ files: [{ path: 'big.bin', content: randomBytes(8 * 1024 * 1024) }], compression: 'none' }] });
    await pushImage(reg, 'early/stop', 'v1', img);
    const src = await openRegistrySource(`${reg.host}/early/stop:v1`, isolated);
    const stream = await src.openLayer(0);
    for await (const _ of stream) break;
    assert.equal(stream.destroyed, true);
    // close() releases streams that were opened and never read.
    const unread = await src.openLayer(0);
    await src.close();
    assert.equal(unread.destroyed, true);
    await assert.rejects(src.openLayer(0), /source is closed/);
  });
});
