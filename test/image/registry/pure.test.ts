import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { parseAuthChallenges } from '../../../src/image/registry/challenge.ts';
import { credentialFromDockerConfig, normaliseRegistryKey, parseCredsFlag, resolveCredential } from '../../../src/image/registry/credentials.ts';
import { RegistryError } from '../../../src/image/registry/errors.ts';
import { classifyLayer, parseManifest, MEDIA } from '../../../src/image/registry/manifest.ts';
import { backoffDelay, DEFAULT_RETRY, isRetriableStatus, parseRetryAfter } from '../../../src/image/registry/retry.ts';
import { TokenCache, parseTokenResponse } from '../../../src/image/registry/token.ts';
import { computeDigest, verifyingStream } from '../../../src/image/registry/verify.ts';
import { isLoopbackHost } from '../../../src/image/registry/client.ts';
import { UserInputError } from '../../../src/util/errors.ts';

describe('WWW-Authenticate parsing', () => {
  test('Docker Hub bearer challenge with a quoted comma in scope', () => {
    const [c, ...rest] = parseAuthChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push"');
    assert.equal(rest.length, 0);
    assert.equal(c?.scheme, 'bearer');
    assert.deepEqual(c?.params, { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull,push' });
  });

  test('several challenges in one header, mixed case, escapes and token values', () => {
    const cs = parseAuthChallenges('Basic realm="a \\"quoted\\" realm", BEARER Realm=https://x/token , service="s", error=invalid_token');
    assert.deepEqual(cs, [
      { scheme: 'basic', params: { realm: 'a "quoted" realm' } },
      { scheme: 'bearer', params: { realm: 'https://x/token', service: 's', error: 'invalid_token' } },
    ]);
  });

  test('scheme without params and garbage do not crash', () => {
    assert.deepEqual(parseAuthChallenges('Negotiate'), [{ scheme: 'negotiate', params: {} }]);
    assert.deepEqual(parseAuthChallenges(''), []);
    assert.equal(parseAuthChallenges('Bearer realm="unterminated')[0]?.params.realm, 'unterminated');
  });

  test('fuzz: terminates and returns well-formed challenges for any input', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'Bbearic realm=",\\ \tx/:'.split('')), maxLength: 120 }), (s) => {
        for (const c of parseAuthChallenges(s)) {
          assert.match(c.scheme, /^[!#$%&'*+.^_`|~0-9a-z-]+$/);
          for (const v of Object.values(c.params)) assert.equal(typeof v, 'string');
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('credentials', () => {
  test('--creds parsing keeps colons in the password', () => {
    assert.deepEqual(parseCredsFlag('me:pa:ss'), { username: 'me', password: 'pa:ss' });
    assert.throws(() => parseCredsFlag(':x'), UserInputError);
    assert.throws(() => parseCredsFlag('nocolon'), UserInputError);
  });

  test('registry keys normalise, Docker Hub aliases collapse', () => {
    assert.equal(normaliseRegistryKey('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(normaliseRegistryKey('registry-1.docker.io'), 'docker.io');
    assert.equal(normaliseRegistryKey('http://LOCALHOST:5000/v2/'), 'localhost:5000');
  });

  test('docker config: base64 auth, username/password, identitytoken, helpers warned', () => {
    const config = {
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hub:secret:x').toString('base64') },
        'ghcr.io': { username: 'u', password: 'p' },
        'quay.io': { identitytoken: 'refresh-me' },
        'empty.io': {},
      },
      credsStore: 'desktop',
      credHelpers: { 'gcr.io': 'gcloud' },
    };
    const hub = credentialFromDockerConfig(config, 'docker.io', 'cfg');
    assert.equal(hub.credential?.username, 'hub');
    assert.equal(hub.credential?.password, 'secret:x');
    assert.match(hub.warnings[0] ?? '', /credsStore "desktop" is not supported/);
    assert.equal(credentialFromDockerConfig(config, 'ghcr.io', 'cfg').credential?.password, 'p');
    assert.equal(credentialFromDockerConfig(config, 'quay.io', 'cfg').credential?.identityToken, 'refresh-me');
    assert.equal(credentialFromDockerConfig(config, 'empty.io', 'cfg').credential, undefined);
    const gcr = credentialFromDockerConfig(config, 'gcr.io', 'cfg');
    assert.equal(gcr.credential, undefined);
    assert.match(gcr.warnings[0] ?? '', /docker-credential-gcloud/);
    // No secret ever appears in a warning.
    for (const w of [...hub.warnings, ...gcr.warnings]) assert.doesNotMatch(w, /secret|refresh-me/);
  });

  test('fuzz: any JSON as a Docker config yields a credential or nothing, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ auths: fc.dictionary(fc.constantFrom('r.io', 'https://r.io/v1/', 'x'), fc.jsonValue()) })), (config) => {
        const r = credentialFromDockerConfig(config, 'r.io', 'cfg');
        assert.ok(Array.isArray(r.warnings));
        if (r.credential) assert.equal(r.credential.source, 'cfg');
      }),
      { numRuns: 1000 },
    );
  });

  test('precedence: --creds > per-host env JSON > env username > docker config', async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pw-creds-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ auths: { 'r.io': { auth: Buffer.from('file:f').toString('base64') } } }));
    const env = {
      DOCKER_CONFIG: dir,
      PORTWARDEN_REGISTRY_AUTH: JSON.stringify({ 'r.io': { username: 'json', password: 'j' } }),
      PORTWARDEN_REGISTRY_USERNAME: 'envuser',
      PORTWARDEN_REGISTRY_PASSWORD: 'e',
    };
    assert.equal(resolveCredential('r.io', { explicit: { username: 'flag', password: 'x' }, env }).credential?.source, '--creds');
    assert.equal(resolveCredential('r.io', { env }).credential?.username, 'json');
    assert.equal(resolveCredential('other.io', { env }).credential?.username, 'envuser');
    const { PORTWARDEN_REGISTRY_USERNAME: _u, ...noUser } = env;
    assert.equal(resolveCredential('other.io', { env: noUser }).credential, undefined);
    const fromFile = resolveCredential('r.io', { env: { DOCKER_CONFIG: dir } }).credential;
    assert.equal(fromFile?.username, 'file');
    assert.equal(fromFile?.source, path.join(dir, 'config.json'));
    assert.throws(() => resolveCredential('r.io', { env: { PORTWARDEN_REGISTRY_AUTH: '{bad' } }), /PORTWARDEN_REGISTRY_AUTH is not valid JSON/);
  });
});

describe('retry policy', () => {
  test('Retry-After as seconds and as HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    const now = Date.parse('2024-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Mon, 01 Jan 2024 00:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });

  test('backoff grows, stays within [ceiling/2, ceiling] and under the cap', () => {
    for (let retry = 0; retry < 10; retry++) {
      const ceiling = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** retry);
      assert.equal(backoffDelay(retry, DEFAULT_RETRY, () => 0), ceiling / 2);
      assert.equal(backoffDelay(retry, DEFAULT_RETRY, () => 1), ceiling);
    }
  });

  test('retriable statuses', () => {
    assert.deepEqual([429, 500, 502, 503, 504, 401, 404, 501].map(isRetriableStatus), [true, true, true, true, true, false, false, false]);
  });

  test('loopback detection', () => {
    assert.deepEqual(['localhost:5000', '127.0.0.1:1', '127.9.9.9', '[::1]:5000', '10.0.0.1:5000', 'localhost.example.com'].map(isLoopbackHost), [true, true, true, true, false, false]);
  });
});

describe('manifest parsing', () => {
  const D = `sha256:${'b'.repeat(64)}`;
  const enc = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
  const image = { schemaVersion: 2, mediaType: MEDIA.ociManifest, config: { mediaType: MEDIA.ociConfig, digest: D, size: 2 }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D, size: 3 }] };

  test('image manifest and index', () => {
    const m = parseManifest(enc(image), undefined, 'x');
    assert.equal(m.kind, 'image');
    const idx = parseManifest(enc({ schemaVersion: 2, manifests: [{ mediaType: MEDIA.ociManifest, digest: D, size: 9, platform: { os: 'linux', architecture: 'arm64' } }] }), MEDIA.ociIndex, 'x');
    assert.equal(idx.kind, 'index');
    assert.equal(idx.mediaType, MEDIA.ociIndex);
  });

  test('a generic Content-Type does not make a manifest without mediaType unsupported', () => {
    const { mediaType: _omit, ...bare } = image;
    assert.equal(parseManifest(enc(bare), 'application/json', 'x').kind, 'image');
    assert.equal(parseManifest(enc(bare), 'text/plain; charset=utf-8', 'x').mediaType, MEDIA.ociManifest);
    const idx = parseManifest(enc({ schemaVersion: 2, manifests: [] }), 'application/octet-stream', 'x');
    assert.equal(idx.kind, 'index');
  });

  test('schema 1, artifacts and malformed documents are refused clearly', () => {
    const err = (bytes: Buffer, ct: string | undefined, code: string, re: RegExp): void => {
      assert.throws(() => parseManifest(bytes, ct, 'reg/repo:tag'), (e: unknown) => e instanceof RegistryError && e.code === code && re.test(e.message) && e.message.includes('reg/repo:tag'));
    };
    err(enc({ schemaVersion: 1, name: 'x', fsLayers: [] }), MEDIA.dockerSchema1Signed, 'unsupported_manifest', /schema 1 is not supported/);
    err(enc({ ...image, config: { ...image.config, mediaType: 'application/vnd.cncf.helm.config.v1+json' } }), undefined, 'unsupported_manifest', /not a container image/);
    err(Buffer.from('{not json'), undefined, 'invalid_manifest', /not JSON/);
    err(enc({ ...image, layers: [{ mediaType: 'x', digest: 'sha256:short', size: 1 }] }), undefined, 'invalid_manifest', /layers\[0\]\.digest/);
    err(enc({ ...image, layers: [{ mediaType: 'x', digest: D, size: -1 }] }), undefined, 'invalid_manifest', /size/);
  });

  test('fuzz: arbitrary JSON never crashes the parser with anything but RegistryError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.constant(JSON.stringify(image))).map((j) => Buffer.from(j)), (bytes) => {
        try {
          parseManifest(bytes, undefined, 'fuzz');
        } catch (e) {
          if (!(e instanceof RegistryError)) throw e;
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('layer media types', () => {
    assert.deepEqual(classifyLayer('application/vnd.docker.image.rootfs.diff.tar.gzip'), { compression: 'gzip', foreign: false });
    assert.deepEqual(classifyLayer('application/vnd.oci.image.layer.v1.tar+zstd'), { compression: 'zstd', foreign: false });
    assert.deepEqual(classifyLayer('application/vnd.oci.image.layer.v1.tar'), { compression: 'none', foreign: false });
    assert.deepEqual(classifyLayer('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip'), { compression: 'gzip', foreign: true });
    assert.deepEqual(classifyLayer('application/vnd.oci.image.layer.nondistributable.v1.tar+gzip'), { compression: 'gzip', foreign: true });
    assert.equal(classifyLayer('application/vnd.cncf.helm.chart.content.v1.tar+gzip'), undefined);
  });
});

describe('verifying stream', () => {
  const data = Buffer.from('hello layer');
  const digest = computeDigest(data);
  const consume = (expected: string, size: number | undefined, chunks: Buffer[]): Promise<void> =>
    pipeline(Readable.from(chunks), verifyingStream(expected, size, 'layer 0'), async (src: AsyncIterable<Buffer>) => {
      for await (const _ of src) {
        // drain
      }
    });

  test('passes intact content', async () => {
    await consume(digest, data.length, [data.subarray(0, 3), data.subarray(3)]);
  });

  test('names the digest on mismatch, size shortfall and overflow', async () => {
    const other = Buffer.from('hello LAYER');
    await assert.rejects(consume(digest, data.length, [other]), (e: unknown) => e instanceof RegistryError && e.code === 'digest_mismatch' && e.message.includes(digest));
    await assert.rejects(consume(digest, data.length, [data.subarray(0, 4)]), (e: unknown) => e instanceof RegistryError && e.code === 'size_mismatch' && e.message.includes(digest));
    await assert.rejects(consume(digest, 4, [data]), (e: unknown) => e instanceof RegistryError && e.code === 'size_mismatch');
  });
});

describe('token responses and the token cache', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  const parse = (doc: unknown) => parseTokenResponse(Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)), 'reg: token service auth.example', now);

  test('lifetime: expires_in, else the spec default of 60 s; renewed 10 s early, or at half life for short tokens', () => {
    assert.deepEqual(parse({ token: 't', expires_in: 300 }), { token: 't', expiresAt: now + 290_000 });
    assert.deepEqual(parse({ token: 't' }), { token: 't', expiresAt: now + 50_000 });
    assert.deepEqual(parse({ token: 't', expires_in: 4 }), { token: 't', expiresAt: now + 2_000 });
    assert.deepEqual(parse({ access_token: 'oauth', expires_in: 0 }), { token: 'oauth', expiresAt: now + 50_000 }, 'OAuth2 field name; 0 is no lifetime');
  });

  test('issued_at counts from the server clock unless it is more than five minutes off', () => {
    assert.equal(parse({ token: 't', expires_in: 300, issued_at: '2026-11-23T11:59:00Z' }).expiresAt, now - 60_000 + 290_000);
    assert.equal(parse({ token: 't', expires_in: 300, issued_at: '2026-11-23T10:00:00Z' }).expiresAt, now + 290_000);
    assert.equal(parse({ token: 't', expires_in: 300, issued_at: 'yesterday' }).expiresAt, now + 290_000);
  });

  test('no token or no JSON is an error naming the service', () => {
    assert.throws(() => parse({ token: '', access_token: 7 }), (e: unknown) => e instanceof RegistryError && e.message === 'reg: token service auth.example returned no token');
    assert.throws(() => parse('<html>'), (e: unknown) => e instanceof RegistryError && /auth\.example returned invalid JSON/.test(e.message));
  });

  test('the cache shares one request among concurrent callers and refreshes when told or expired', async () => {
    const cache = new TokenCache();
    let requests = 0;
    const fetch = (expiresAt: number) => async () => {
      requests++;
      await new Promise((r) => setTimeout(r, 5));
      return { token: `t${requests}`, expiresAt };
    };
    const later = Date.now() + 60_000;
    assert.deepEqual(await Promise.all([cache.get('k', false, fetch(later)), cache.get('k', false, fetch(later))]), ['t1', 't1']);
    assert.equal(await cache.get('k', false, fetch(later)), 't1', 'cached until expiry');
    assert.equal(await cache.get('k', true, fetch(Date.now() - 1)), 't2', 'refused by the registry: a new one');
    assert.equal(await cache.get('k', false, fetch(later)), 't3', 'expired: a new one');
    assert.equal(await cache.get('other', false, fetch(later)), 't4', 'per key');
    assert.equal(requests, 4);
  });
});
