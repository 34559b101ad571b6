/**
 * The object-store dependent parts of the scan service on the S3 store (a real S3-compatible
 * server, moto, with IAM auth on; embedded PGlite store, in-process scanner): reports and SBOMs are
 * written to and served from the bucket, the digest cache reads them back, /readyz reports the
 * object store, and start-up refuses wrong credentials or a missing bucket with a clear message.
 * The rest of the service suite is store-independent and runs in service.test.ts only.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { AwsClient } from 'aws4fetch';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/config/index.ts';
import { startService } from '../../src/service/server.ts';
import { IndexBuilder } from '../../src/vulndb/index-builder.ts';
import { SCHEMA_VERSION } from '../../src/vulndb/store.ts';
import type { ServiceHandle } from '../../src/service/server.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { S3Error } from '../../src/store/s3-client.ts';
import { startS3Server } from '../helpers/s3-server.ts';
import type { TestS3Server } from '../helpers/s3-server.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import type { FaultProxy } from '../helpers/fault-proxy.ts';
import { waitFor } from '../helpers/wait.ts';
import { FakeScanner } from './fixtures.ts';

const BUCKET = 'pw-service';
const PREFIX = 'ci/run-1/';
const DIGEST = `sha256:${'c'.repeat(64)}`;
const FLAKY_DIGEST = `sha256:${'d'.repeat(64)}`;

function s3Config(home: string, endpoint: string, extra: Record<string, unknown> = {}) {
  return loadConfig({
    env: {},
    warn: () => {},
    flags: {
      home, port: 0, allowAnonymous: true, allowRegistries: ['registry.test'], concurrency: 2, leaseSeconds: 5,
      maxAttempts: 2, retryDelaySeconds: 1, maintenanceSeconds: 1, pollingSeconds: 0.5, shutdownTimeoutSeconds: 2, logLevel: 'silent',
      objectStore: `s3://${BUCKET}/${PREFIX}`, s3Endpoint: endpoint, s3CredentialsFile: path.join(home, 's3.yaml'),
      // /readyz opens the advisory index (an empty one here); the scanner here is in-process.
      advisoryDbPath: path.join(home, 'advisories.db'), ...extra,
    },
  });
}

describe('scan service on the S3 object store', () => {
  let s3: TestS3Server | undefined;
  let proxy: FaultProxy;
  let svc: ServiceHandle;
  let home: string;
  const scanner = new FakeScanner();
  const logLines: string[] = [];

  before(async () => {
    s3 = await startS3Server();
    if (!s3) return;
    await s3.createBucket(BUCKET);
    proxy = await startFaultProxy(s3.endpoint);
    home = mkdtempSync(path.join(os.tmpdir(), 'pw-svc-s3-'));
    new IndexBuilder(path.join(home, 'advisories.db')).commit();
    writeFileSync(path.join(home, 's3.yaml'), `accessKeyId: ${s3.credentials.accessKeyId}\nsecretAccessKey: ${s3.credentials.secretAccessKey}\n`, { mode: 0o600 });
    scanner.digests.set('registry.test/app:1', DIGEST);
    scanner.digests.set('registry.test/flaky:1', FLAKY_DIGEST);
    const sink = new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } });
    svc = await startService(s3Config(home, proxy.url), { api: true, scanner, storeDir: 'memory://', logger: createLogger('info', sink), defaultMetrics: false });
  });

  after(async () => {
    await svc?.close();
    await proxy?.close();
    await s3?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const inject = (url: string, method: 'GET' | 'POST' = 'GET', payload?: unknown) => svc.app!.inject({ method, url, ...(payload ? { payload } : {}) } as never);

  test('submit → completed; the report and the SBOM (all formats) come from the bucket', async (t) => {
    if (!s3) return t.skip('no S3 server');
    const res = await inject('/scans', 'POST', { type: 'docker-image', target: 'registry.test/app:1' });
    assert.equal(res.statusCode, 202, res.body);
    const id = res.json().scan_id as string;
    const done = await waitFor('completion', async () => {
      const r = (await inject(`/scans/${id}`)).json();
      return r.status === 'completed' ? r : undefined;
    });
    const report = await inject(done.links.report_url);
    assert.equal(report.statusCode, 200);
    assert.equal(report.json().digest, DIGEST);
    const sbom = await inject(done.links.sbom_url);
    assert.equal(sbom.statusCode, 200);
    assert.equal(sbom.json().packages[0].name, 'openssl');
    assert.equal((await inject(`/images/${DIGEST}/sbom?format=cyclonedx-json`)).json().bomFormat, 'CycloneDX');
    assert.equal((await inject(`/images/${DIGEST}/sbom?format=spdx-json`)).json().spdxVersion, 'SPDX-2.3');

    // The objects are in the bucket under the prefix, and nothing went to the filesystem store.
    const raw = new AwsClient({ ...s3.credentials, service: 's3', region: s3.region, retries: 0 });
    const stored = await raw.fetch(`${s3.endpoint}/${BUCKET}/${PREFIX}reports/${id}.json`);
    assert.equal(stored.status, 200);
    assert.equal(((await stored.json()) as { target: string }).target, 'registry.test/app:1');
    assert.equal(existsSync(path.join(home, 'objects')), false);
    const puts = proxy.seen.filter((r) => r.method === 'PUT').map((r) => r.path);
    assert.ok(puts.includes(`/${BUCKET}/${PREFIX}reports/${id}.json`), puts.join(' '));
    assert.ok(puts.some((p) => p.startsWith(`/${BUCKET}/${PREFIX}sboms/${'c'.repeat(64)}`)), puts.join(' '));
  });

  test('the same digest again is served from the stored inventory read back from S3', async (t) => {
    if (!s3) return t.skip('no S3 server');
    const scans = scanner.scans;
    const id = (await inject('/scans', 'POST', { type: 'docker-image', target: 'registry.test/app:1' })).json().scan_id as string;
    const done = await waitFor('completion', async () => {
      const r = (await inject(`/scans/${id}`)).json();
      return r.status === 'completed' ? r : undefined;
    });
    assert.equal(done.result_source, 'cache');
    assert.equal(scanner.scans, scans);
    assert.equal((await inject(done.links.report_url)).json().target, 'registry.test/app:1');
  });

  test('S3 failing through every client retry fails that attempt only: the queue retries and nothing is lost', async (t) => {
    if (!s3) return t.skip('no S3 server');
    // The client tries 4 times; 4 failed PUTs exhaust one job attempt, the next attempt succeeds.
    proxy.inject(Array.from({ length: 4 }, () => ({ kind: 'status' as const, status: 500 })), (m) => m === 'PUT');
    const id = (await inject('/scans', 'POST', { type: 'docker-image', target: 'registry.test/flaky:1' })).json().scan_id as string;
    const done = await waitFor('completion after a retry', async () => {
      const r = (await inject(`/scans/${id}`)).json();
      return r.status === 'completed' ? r : undefined;
    });
    assert.equal(done.attempts, 2);
    assert.equal((await inject(done.links.report_url)).json().digest, FLAKY_DIGEST);
    assert.match(logLines.join(''), /object store request failed; retrying.*"operation":"PutObject"|"operation":"PutObject".*object store request failed; retrying/);
  });

  test('/readyz reports the object store; credentials appear in no log line', async (t) => {
    if (!s3) return t.skip('no S3 server');
    const ok = await inject('/readyz');
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().checks.object_store, 'ok');
    assert.equal(ok.json().checks.advisory_db, 'ok');
    // An index in a layout this build no longer reads (as after an upgrade, before `db update`) is not ready.
    const index = new Database(path.join(home, 'advisories.db'));
    index.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION - 1));
    const stale = await inject('/readyz');
    index.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION));
    index.close();
    assert.equal(stale.statusCode, 503);
    assert.match(stale.json().checks.advisory_db, /built by an older Portwarden .*re-run `portwarden db update`/);
    assert.equal((await inject('/readyz')).statusCode, 200);
    proxy.inject([{ kind: 'status', status: 503, code: 'ServiceUnavailable' }, { kind: 'status', status: 503, code: 'ServiceUnavailable' }]);
    const down = await inject('/readyz');
    assert.equal(down.statusCode, 503);
    assert.match(down.json().checks.object_store, /answered 503 to GetObject s3:\/\/pw-service\/ci\/run-1\/\.portwarden-readiness-probe.*gave up after 2 attempts/);
    assert.equal(down.json().checks.store, 'ok');
    const logs = logLines.join('');
    assert.match(logs, /"objectStore":"S3 s3:\/\/pw-service\/ci\/run-1\/ at http:\/\/127\.0\.0\.1:\d+ \(region us-east-1, path-style\)"/);
    assert.ok(!logs.includes(s3.credentials.secretAccessKey) && !logs.includes(s3.credentials.accessKeyId));
  });

  test('start-up refuses wrong credentials and a missing bucket, saying which', async (t) => {
    if (!s3) return t.skip('no S3 server');
    const quiet = createLogger('silent');
    writeFileSync(path.join(home, 'wrong.yaml'), `accessKeyId: ${s3.credentials.accessKeyId}\nsecretAccessKey: wrong-secret-value\n`);
    await assert.rejects(
      startService(s3Config(home, s3.endpoint, { s3CredentialsFile: path.join(home, 'wrong.yaml') }), { api: true, scanner, storeDir: 'memory://', logger: quiet }),
      (err: unknown) => err instanceof S3Error && err.code === 's3_credentials' && /SignatureDoesNotMatch/.test(err.message) && !err.message.includes('wrong-secret-value'),
    );
    await assert.rejects(
      startService(s3Config(home, s3.endpoint, { objectStore: 's3://pw-missing-bucket' }), { api: true, scanner, storeDir: 'memory://', logger: quiet }),
      /bucket "pw-missing-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+: create it or fix --s3-bucket/,
    );
  });
});
