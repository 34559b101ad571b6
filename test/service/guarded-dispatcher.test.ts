/**
 * SSRF at connect time: the service's registry connections re-check the target guard's address
 * policy on the addresses they actually connect to. A DNS answer that turns into a metadata address
 * after the guard's check (DNS rebinding) and redirects to private addresses are refused; the
 * allow-listed registry itself still works. Real sockets and a real registry; only DNS is injected
 * (the guard's resolver), since no DNS server can be run here.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Agent } from 'undici';
import pino from 'pino';
import { buildImage, pushImage, sha256 } from '../helpers/image-builder.ts';
import { registryAvailable, startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { requireOrSkip } from '../helpers/shared-data.ts';
import { RegistryClient } from '../../src/image/registry/client.ts';
import { openRegistrySource } from '../../src/image/sources/registry.ts';
import { TargetGuard, isNonPublicAddress } from '../../src/service/target-guard.ts';
import { createGuardedDispatcher } from '../../src/service/guarded-dispatcher.ts';
import { ScanWorker } from '../../src/service/worker.ts';
import { openStore } from '../../src/store/database.ts';
import { createScan, getScan } from '../../src/store/scans.ts';
import { FsObjectStore } from '../../src/store/objects.ts';
import * as pipeline from '../../src/scan/pipeline.ts';

const AVAILABLE = registryAvailable();
const quiet = { env: {}, dockerConfigPath: '/nonexistent/config.json', logger: { warn: () => {} }, retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 } };

/** Test policy: the local registry on 127.0.0.1 stands in for a public host; everything else private stays refused. */
const loopbackCountsAsPublic = (a: string) => !a.startsWith('127.') && isNonPublicAddress(a);

/** A resolver that answers from a script per name and records the questions. */
function scriptedResolver(script: Record<string, string[][]>) {
  const asked: string[] = [];
  const resolver = async (host: string) => {
    asked.push(host);
    const answers = script[host];
    if (!answers?.length) throw Object.assign(new Error('no such host'), { code: 'ENOTFOUND' });
    return answers.length > 1 ? answers.shift()! : answers[0]!;
  };
  return { resolver, asked };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

describe('DNS rebinding: the address connected to is the address checked', () => {
  let reg: TestRegistry | undefined;
  let port = '';
  before(async () => {
    if (!AVAILABLE) return;
    reg = await startRegistry({ auth: 'none' });
    port = reg.host.split(':')[1] ?? '';
    await pushImage(reg, 'team/app', 'v1', await buildImage({ layers: [{ files: [{ path: 'etc/os-release', content: 'ID=debian\n' }] }] }));
  });
  after(async () => reg?.stop());

  test('first answer passes the guard, second (169.254.169.254) is refused at connect', async (t) => {
    if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
    const { resolver, asked } = scriptedResolver({ 'registry.rebind.invalid': [['127.0.0.1'], ['169.254.169.254']] });
    const guard = new TargetGuard({ allowRegistries: [], resolver, isNonPublic: loopbackCountsAsPublic });
    const name = `registry.rebind.invalid:${port}`;
    assert.equal((await guard.check(`${name}/team/app:v1`)).ok, true, 'the guard saw 127.0.0.1');
    const dispatcher = createGuardedDispatcher(guard);
    t.after(() => dispatcher.close());
    const err = await openRegistrySource(`${name}/team/app:v1`, { ...quiet, insecureRegistries: [name], dispatcher }).catch((e: unknown) => e);
    assert.match(String(err), /169\.254\.169\.254/);
    assert.deepEqual(asked, ['registry.rebind.invalid', 'registry.rebind.invalid']);
  });

  test('a stable answer is pinned: the pull works through a name that exists in no DNS', async (t) => {
    if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
    const { resolver } = scriptedResolver({ 'registry.pinned.invalid': [['127.0.0.1']] });
    const guard = new TargetGuard({ allowRegistries: [], resolver, isNonPublic: loopbackCountsAsPublic });
    const dispatcher = createGuardedDispatcher(guard);
    t.after(() => dispatcher.close());
    const name = `registry.pinned.invalid:${port}`;
    const src = await openRegistrySource(`${name}/team/app:v1`, { ...quiet, insecureRegistries: [name], dispatcher });
    assert.equal(src.layers.length, 1);
  });

  test('a service worker uses the guarded connections: the rebound scan fails for good, naming the address', async (t) => {
    if (!requireOrSkip(t, AVAILABLE, 'docker-registry')) return;
    // Answers: the worker's own guard check sees 127.0.0.1, the connection then gets the metadata address.
    const { resolver } = scriptedResolver({ 'registry.rebind.invalid': [['127.0.0.1'], ['169.254.169.254']] });
    const guard = new TargetGuard({ allowRegistries: [], resolver, isNonPublic: loopbackCountsAsPublic });
    const store = await openStore({ dataDir: 'memory://' });
    t.after(() => store.close());
    const name = `registry.rebind.invalid:${port}`;
    const worker = new ScanWorker({
      db: store.db, objects: new FsObjectStore(`/tmp/pw-guarded-${randomUUID()}`), scanner: pipeline, guard, log: pino({ level: 'silent' }),
      dbPath: '/nonexistent/advisories.db', insecureRegistries: [name], registryAuth: {}, leaseSeconds: 30,
    });
    const id = randomUUID();
    await createScan(store.db, { id, type: 'docker-image', target: `${name}/team/app:v1`, priority: 10, jobId: randomUUID() });
    // A refused address fails the scan at once, as a refusal by the guard's own check does.
    await worker.handle({ scanId: id }, { jobId: 'j1', attempt: 1, maxAttempts: 3, signal: new AbortController().signal });
    const row = await getScan(store.db, id);
    assert.equal(row?.status, 'failed');
    assert.match(row?.error ?? '', /refusing to connect to registry\.rebind\.invalid: .*169\.254\.169\.254/);
  });
});

describe('redirects go through the same check', () => {
  const blob = Buffer.from('layer bytes from storage');
  const digest = sha256(blob);
  let storageHits = 0;
  let redirectTo = '';
  const storage = createServer((_req, res) => {
    storageHits++;
    res.end(blob);
  });
  const registry = createServer((req, res) => {
    if (req.url === '/v2/') return void res.end('{}');
    if (req.url === `/v2/team/app/blobs/${digest}`) {
      if (!redirectTo) return void res.end(blob);
      res.writeHead(307, { location: redirectTo });
      return void res.end();
    }
    res.writeHead(404).end();
  });
  let regHost = '';
  let storagePort = 0;
  before(async () => {
    regHost = `127.0.0.1:${await listen(registry)}`;
    storagePort = await listen(storage);
  });
  after(() => {
    registry.close();
    storage.close();
  });

  async function fetchBlob(dispatcher: Agent): Promise<Buffer> {
    const client = new RegistryClient({ ...quiet, dispatcher });
    return client.getBlobBytes({ registry: regHost, repository: 'team/app' }, digest, blob.length, 1024);
  }

  function guarded(allow: string[], resolver = scriptedResolver({ 'storage.private.invalid': [['10.1.2.3']] }).resolver) {
    return createGuardedDispatcher(new TargetGuard({ allowRegistries: allow, resolver }));
  }

  test('the allow-listed registry works, private redirect targets are refused and never reached', async (t) => {
    const dispatcher = guarded([regHost]);
    t.after(() => dispatcher.close());
    redirectTo = '';
    assert.deepEqual(await fetchBlob(dispatcher), blob, 'allow-listed loopback registry');
    for (const target of [`http://127.0.0.1:${storagePort}/blob`, `http://[::1]:${storagePort}/blob`, 'http://169.254.169.254/latest/meta-data/', `http://2130706433:${storagePort}/blob`, `http://storage.private.invalid:${storagePort}/blob`, `http://localhost:${storagePort}/blob`]) {
      redirectTo = target;
      storageHits = 0;
      const err = await fetchBlob(dispatcher).catch((e: unknown) => e);
      assert.match(String(err), /refusing to connect/, target);
      assert.equal(storageHits, 0, `${target} was not reached`);
    }
  });

  test('controls: without the guard the redirect reaches storage; allow-listing storage admits it', async (t) => {
    redirectTo = `http://127.0.0.1:${storagePort}/blob`;
    const plain = new Agent();
    const allowed = guarded([regHost, `127.0.0.1:${storagePort}`]);
    t.after(async () => { await plain.close(); await allowed.close(); });
    storageHits = 0;
    assert.deepEqual(await fetchBlob(plain), blob);
    assert.equal(storageHits, 1);
    assert.deepEqual(await fetchBlob(allowed), blob);
    assert.equal(storageHits, 2);
  });
});
