/**
 * The S3 object store against a real S3-compatible server (moto, IAM authentication on), directly
 * and through a fault-injecting forwarder: round trips, prefix, integrity headers, clear errors for
 * wrong credentials, missing bucket and missing permissions, retries on 5xx/throttling/dropped
 * connections, corrupt downloads, virtual-hosted addressing, and credentials never exposed.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { Agent } from 'undici';
import { AwsClient } from 'aws4fetch';
import { S3ObjectStore } from '../../src/store/objects-s3.ts';
import type { S3ObjectStoreOptions } from '../../src/store/objects.ts';
import { S3Error } from '../../src/store/s3-client.ts';
import { startS3Server } from '../helpers/s3-server.ts';
import type { TestS3Server } from '../helpers/s3-server.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import type { FaultProxy } from '../helpers/fault-proxy.ts';
import { freePort } from '../helpers/registry.ts';

const BUCKET = 'pw-objects';
const FAST_RETRY = { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 50, timeoutMs: 5000 };

function isS3Error(code: string, re?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof S3Error, `expected S3Error, got ${inspect(err)}`);
    assert.equal(err.code, code, err.message);
    if (re) assert.match(err.message, re);
    return true;
  };
}

describe('S3 object store on a real S3-compatible server', () => {
  let s3: TestS3Server | undefined;
  let proxy: FaultProxy;
  const stores: S3ObjectStore[] = [];

  const open = (over: Partial<S3ObjectStoreOptions> = {}) => {
    const store = new S3ObjectStore({
      endpoint: proxy.url, region: s3!.region, bucket: BUCKET, prefix: 'tenant-a/', forcePathStyle: false,
      credentials: s3!.credentials, retry: FAST_RETRY, ...over,
    });
    stores.push(store);
    return store;
  };

  before(async () => {
    s3 = await startS3Server();
    if (!s3) return;
    await s3.createBucket(BUCKET);
    proxy = await startFaultProxy(s3.endpoint);
  });

  after(async () => {
    for (const s of stores) await s.close();
    await proxy?.close();
    await s3?.stop();
  });

  test('put, get, delete round trip under the prefix; a missing key reads as undefined', async (t) => {
    if (!s3) return t.skip('no S3 server');
    const store = open();
    await store.check();
    const doc = JSON.stringify({ schema_version: 1, note: 'ünïcode ✓' });
    await store.put('reports/0f6a.json', doc);
    assert.equal((await store.get('reports/0f6a.json'))?.toString('utf8'), doc);
    assert.equal(await store.get('reports/missing.json'), undefined);
    // Stored under the prefix: a plain client sees tenant-a/reports/0f6a.json and nothing at the top.
    const raw = new AwsClient({ ...s3.credentials, service: 's3', region: s3.region, retries: 0 });
    assert.equal((await raw.fetch(`${s3.endpoint}/${BUCKET}/tenant-a/reports/0f6a.json`)).status, 200);
    assert.equal((await raw.fetch(`${s3.endpoint}/${BUCKET}/reports/0f6a.json`)).status, 404);
    await store.delete('reports/0f6a.json');
    assert.equal(await store.get('reports/0f6a.json'), undefined);
    await store.delete('reports/0f6a.json');
    await assert.rejects(store.put('../escape.json', 'x'), /invalid object key/);
  });

  test('uploads carry Content-MD5, a signed SHA-256 payload hash and the SHA-256 as metadata', async (t) => {
    if (!s3) return t.skip('no S3 server');
    const store = open();
    const body = Buffer.from(JSON.stringify({ packages: Array.from({ length: 200 }, (_, i) => ({ name: `p${i}` })) }));
    const from = proxy.seen.length;
    await store.put('sboms/abc.json', body);
    const put = proxy.seen.slice(from).find((r) => r.method === 'PUT');
    assert.ok(put);
    assert.equal(put.headers['content-md5'], createHash('md5').update(body).digest('base64'));
    assert.equal(put.headers['x-amz-content-sha256'], createHash('sha256').update(body).digest('hex'));
    assert.equal(put.headers['x-amz-meta-portwarden-sha256'], createHash('sha256').update(body).digest('hex'));
    assert.match(String(put.headers.authorization), /SignedHeaders=[^,]*content-md5[^,]*x-amz-content-sha256/);
    assert.equal(put.bodyLength, body.length);
  });

  test('500 twice then 200: the upload succeeds on the third try, retries are reported', async (t) => {
    if (!s3) return t.skip('no S3 server');
    const retries: Array<{ attempt: number; reason: string }> = [];
    const store = open({ onRetry: (i) => retries.push(i) });
    const from = proxy.seen.length;
    proxy.inject([{ kind: 'status', status: 500 }, { kind: 'status', status: 500 }], (m) => m === 'PUT');
    await store.put('reports/retry.json', '{"ok":true}');
    const puts = proxy.seen.slice(from).filter((r) => r.method === 'PUT');
    assert.deepEqual(puts.map((r) => r.fault ?? 'passed'), ['status', 'status', 'passed']);
    assert.deepEqual(retries.map((r) => r.attempt), [1, 2]);
    assert.match(retries[0]!.reason, /answered 500.*InternalError/);
    assert.equal((await store.get('reports/retry.json'))?.toString(), '{"ok":true}');
  });

  test('throttling (503 SlowDown with Retry-After) and a dropped connection are retried too', async (t) => {
    if (!s3) return t.skip('no S3 server');
    const store = open();
    await store.put('reports/slow.json', 'slow');
    proxy.inject([{ kind: 'status', status: 503, code: 'SlowDown', retryAfter: '0' }, { kind: 'drop' }], (m) => m === 'GET');
    assert.equal((await store.get('reports/slow.json'))?.toString(), 'slow');
  });

  test('a server failing every try: a clear error after the configured attempts', async (t) => {
    if (!s3) return t.skip('no S3 server');
    const store = open({ retry: { ...FAST_RETRY, maxAttempts: 3 } });
    proxy.inject(Array.from({ length: 3 }, () => ({ kind: 'status' as const, status: 500 })));
    await assert.rejects(store.get('reports/any.json'), isS3Error('s3_unavailable', /answered 500 to GetObject s3:\/\/pw-objects\/tenant-a\/reports\/any\.json.*gave up after 3 attempts/));
  });

  test('a body corrupted on the way back is detected by its SHA-256, re-read, and reported if it stays corrupt', async (t) => {
    if (!s3) return t.skip('no S3 server');
    const store = open({ retry: { ...FAST_RETRY, maxAttempts: 2 } });
    await store.put('reports/integrity.json', '{"digest":"sha256:1234"}');
    proxy.inject([{ kind: 'corrupt-response' }], (m) => m === 'GET');
    assert.equal((await store.get('reports/integrity.json'))?.toString(), '{"digest":"sha256:1234"}');
    proxy.inject([{ kind: 'corrupt-response' }, { kind: 'corrupt-response' }], (m) => m === 'GET');
    await assert.rejects(store.get('reports/integrity.json'), isS3Error('object_corrupt', /read back with SHA-256 [0-9a-f]{64}, written as [0-9a-f]{64}/));
  });

  test('wrong secret, unknown key id: refused at once with what to check, no secret in the message', async (t) => {
    if (!s3) return t.skip('no S3 server');
    const from = proxy.seen.length;
    const wrongSecret = open({ credentials: { accessKeyId: s3.credentials.accessKeyId, secretAccessKey: 'not-the-secret-value' } });
    await assert.rejects(wrongSecret.put('reports/x.json', 'x'), (err: unknown) => {
      isS3Error('s3_credentials', /SignatureDoesNotMatch/)(err);
      const msg = (err as Error).message;
      assert.match(msg, /secret access key does not match/);
      assert.ok(!msg.includes('not-the-secret-value') && !msg.includes(s3!.credentials.secretAccessKey));
      return true;
    });
    assert.equal(proxy.seen.length - from, 1, 'a credentials error is not retried');
    const unknownKey = open({ credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'whatever-secret' } });
    await assert.rejects(unknownKey.check(), isS3Error('s3_credentials', /InvalidAccessKeyId.*|access key id is unknown/));
  });

  test('missing bucket: NoSuchBucket named with the fix, from check, put and get', async (t) => {
    if (!s3) return t.skip('no S3 server');
    const store = open({ bucket: 'pw-no-such-bucket' });
    const re = /bucket "pw-no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+: create it or fix --s3-bucket/;
    await assert.rejects(store.check(), isS3Error('s3_no_such_bucket', re));
    await assert.rejects(store.put('reports/x.json', 'x'), isS3Error('s3_no_such_bucket', re));
    await assert.rejects(store.get('reports/x.json'), isS3Error('s3_no_such_bucket', re));
  });

  test('credentials without the needed permission: access denied names the operation and the permissions', async (t) => {
    if (!s3) return t.skip('no S3 server');
    const readOnly = await s3.createUser('reader', ['s3:GetObject', 's3:ListBucket']);
    const store = open({ credentials: readOnly });
    await store.check();
    await assert.rejects(store.put('reports/denied.json', 'x'), isS3Error('s3_access_denied', /denied PutObject s3:\/\/pw-objects\/tenant-a\/reports\/denied\.json.*s3:PutObject/));
  });

  test('nothing listening: s3_unreachable after retries; check() fails the same way', async (t) => {
    if (!s3) return t.skip('no S3 server');
    const store = open({ endpoint: `http://127.0.0.1:${await freePort()}`, retry: { ...FAST_RETRY, maxAttempts: 2 } });
    await assert.rejects(store.get('reports/x.json'), isS3Error('s3_unreachable', /cannot reach the S3 endpoint http:\/\/127\.0\.0\.1:\d+ for GetObject.*ECONNREFUSED.*gave up after 2 attempts/));
    await assert.rejects(store.check(), isS3Error('s3_unreachable'));
  });

  test('virtual-hosted addressing: the bucket goes in the host name', async (t) => {
    if (!s3) return t.skip('no S3 server');
    // Every name resolves to loopback here, so BUCKET.s3.portwarden.test reaches the local server.
    const loopback = new Agent({
      connect: {
        lookup: ((_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => (opts?.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4))) as never,
      },
    });
    t.after(() => loopback.close());
    const port = new URL(proxy.url).port;
    const store = open({ endpoint: `http://s3.portwarden.test:${port}`, dispatcher: loopback });
    assert.match(store.describe(), /virtual-hosted/);
    const from = proxy.seen.length;
    await store.put('reports/vhost.json', 'v');
    assert.equal((await store.get('reports/vhost.json'))?.toString(), 'v');
    const put = proxy.seen.slice(from).find((r) => r.method === 'PUT')!;
    assert.equal(put.headers.host, `${BUCKET}.s3.portwarden.test:${port}`);
    assert.equal(put.path, '/tenant-a/reports/vhost.json');
    // Path-style store reads the same object: one bucket, two addressing styles.
    assert.equal((await open().get('reports/vhost.json'))?.toString(), 'v');
  });

  test('credentials are not visible on the store object', async (t) => {
    if (!s3) return t.skip('no S3 server');
    const store = open();
    const secret = s3.credentials.secretAccessKey;
    assert.ok(!inspect(store, { depth: 10, showHidden: true }).includes(secret));
    assert.ok(!JSON.stringify(store).includes(secret));
    assert.ok(!store.describe().includes(secret) && !store.describe().includes(s3.credentials.accessKeyId));
  });
});
