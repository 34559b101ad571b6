import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { updateDatabase, osvExportUrl } from '../../src/vulndb/update.ts';
import { readDbStatus } from '../../src/vulndb/store.ts';
import { openAdvisoryIndex, matchPackages } from '../../src/matcher/index.ts';
import { PortwardenError } from '../../src/util/errors.ts';
import { osvRecord, pkg, tempDir } from './helpers.ts';

function osvZip(records: { id: string; fixed: string }[]): Buffer {
  const files: Record<string, Uint8Array> = {};
  for (const r of records) files[`${r.id}.json`] = strToU8(JSON.stringify(osvRecord(r.id, 'PyPI', 'requests', [{ introduced: '0' }, { fixed: r.fixed }])));
  return Buffer.from(zipSync(files));
}

interface Served {
  body: Buffer;
  etag: string;
  lastModified: string;
  failuresLeft?: number;
  cutFirst?: boolean;
  /** Sent chunked, without a content-length: only the byte count while streaming can enforce a limit. */
  chunked?: boolean;
  sidecar?: string;
}

describe('db update against a local HTTP server', () => {
  const tmp = tempDir();
  const routes = new Map<string, Served>();
  const requests: { url: string; headers: http.IncomingHttpHeaders }[] = [];
  let server: http.Server;
  let base = '';
  const db = () => path.join(tmp.dir, 'db', 'advisories.db');
  const quiet = { backoffMs: 1, timeoutMs: 10_000 };

  before(async () => {
    server = http.createServer((req, res) => {
      requests.push({ url: req.url ?? '', headers: req.headers });
      const url = req.url ?? '';
      if (url.endsWith('.sha256')) {
        const route = routes.get(url.slice(0, -'.sha256'.length));
        if (route?.sidecar) res.writeHead(200).end(`${route.sidecar}  all.zip\n`);
        else res.writeHead(404).end();
        return;
      }
      const route = routes.get(url);
      if (!route) return void res.writeHead(404).end();
      if (route.failuresLeft && route.failuresLeft > 0) {
        route.failuresLeft--;
        return void res.writeHead(500).end('try later');
      }
      if (req.headers['if-none-match'] === route.etag) return void res.writeHead(304, { etag: route.etag }).end();
      const headers = { etag: route.etag, 'last-modified': route.lastModified, 'accept-ranges': 'bytes' };
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (range && req.headers['if-range'] === route.etag) {
        const start = Number(range[1]);
        const rest = route.body.subarray(start);
        res.writeHead(206, { ...headers, 'content-length': rest.length, 'content-range': `bytes ${start}-${route.body.length - 1}/${route.body.length}` });
        return void res.end(rest);
      }
      if (route.cutFirst) {
        route.cutFirst = false;
        res.writeHead(200, { ...headers, 'content-length': route.body.length });
        res.write(route.body.subarray(0, Math.floor(route.body.length / 2)), () => res.destroy());
        return;
      }
      if (route.chunked) {
        res.writeHead(200, headers);
        const half = Math.floor(route.body.length / 2);
        res.write(route.body.subarray(0, half), () => res.end(route.body.subarray(half)));
        return;
      }
      res.writeHead(200, { ...headers, 'content-length': route.body.length }).end(route.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    tmp.cleanup();
  });

  test('first download builds the index with source metadata', async () => {
    const body = osvZip([{ id: 'PYSEC-1', fixed: '2.0' }, { id: 'PYSEC-2', fixed: '3.0' }]);
    routes.set('/PyPI/all.zip', { body, etag: '"v1"', lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT', sidecar: createHash('sha256').update(body).digest('hex') });
    const r = await updateDatabase({ dbPath: db(), ecosystems: ['PyPI'], baseUrl: base, ...quiet });
    assert.equal(r.rebuilt, true);
    assert.deepEqual(r.updated, [`${base}/PyPI/all.zip`]);
    const status = readDbStatus(db());
    assert.equal(status.advisories, 2);
    assert.equal(status.sources[0]?.etag, '"v1"');
    assert.equal(status.sources[0]?.last_modified, 'Mon, 01 Jan 2024 00:00:00 GMT');
    assert.equal(status.sources[0]?.records, 2);
    assert.match(status.sources[0]?.sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual(readdirSync(path.dirname(db())).filter((f) => f.startsWith('.download')), []);
  });

  test('unchanged source: conditional request, 304, no rebuild', async () => {
    const before = readDbStatus(db());
    requests.length = 0;
    const r = await updateDatabase({ dbPath: db(), ecosystems: ['PyPI'], baseUrl: base, ...quiet });
    assert.equal(r.rebuilt, false);
    assert.equal(r.snapshot, before.snapshot);
    assert.equal(requests[0]?.headers['if-none-match'], '"v1"');
    assert.equal(requests[0]?.headers['if-modified-since'], 'Mon, 01 Jan 2024 00:00:00 GMT');
  });

  test('a new export replaces that source\'s records; a 500 is retried', async () => {
    routes.set('/PyPI/all.zip', { body: osvZip([{ id: 'PYSEC-3', fixed: '9.0' }]), etag: '"v2"', lastModified: 'Tue, 02 Jan 2024 00:00:00 GMT', failuresLeft: 1 });
    const logs: string[] = [];
    const r = await updateDatabase({ dbPath: db(), ecosystems: ['PyPI'], baseUrl: base, ...quiet, log: (l) => logs.push(l) });
    assert.equal(r.rebuilt, true);
    assert.ok(logs.some((l) => /attempt 1\/3 .*HTTP 500/.test(l)), logs.join('\n'));
    const index = openAdvisoryIndex(db());
    try {
      const { vulnerabilities } = matchPackages([pkg({ name: 'requests', version: '1.0', ecosystem: 'PyPI', type: 'python' })], undefined, index);
      assert.deepEqual(vulnerabilities.map((v) => v.id), ['PYSEC-3'], 'records gone from the export are gone from the index');
    } finally {
      index.close();
    }
  });

  test('a cut-off download resumes with Range/If-Range', async () => {
    routes.set('/crates.io/all.zip', { body: osvZip(Array.from({ length: 50 }, (_, i) => ({ id: `RUSTSEC-2024-${String(i).padStart(4, '0')}`, fixed: '1.0' }))), etag: '"c1"', lastModified: 'Tue, 02 Jan 2024 00:00:00 GMT', cutFirst: true });
    requests.length = 0;
    const r = await updateDatabase({ dbPath: db(), ecosystems: ['crates.io'], baseUrl: base, ...quiet });
    assert.equal(r.rebuilt, true);
    const resumed = requests.find((q) => q.url === '/crates.io/all.zip' && q.headers.range);
    assert.ok(resumed, `second attempt asked for the rest: ${JSON.stringify(requests.map((q) => [q.url, q.headers.range]))}`);
    assert.equal(resumed.headers['if-range'], '"c1"');
    assert.equal(readDbStatus(db()).advisories, 51);
  });

  test('a corrupt zip or a sha256 mismatch is refused and the previous data stays', async () => {
    const good = osvZip([{ id: 'PYSEC-4', fixed: '1.0' }]);
    const corrupt = Buffer.from(good);
    const at = 30 + 'PYSEC-4.json'.length + 5;
    corrupt[at] = (corrupt[at] ?? 0) ^ 0xff;
    routes.set('/PyPI/all.zip', { body: corrupt, etag: '"v3"', lastModified: 'Wed, 03 Jan 2024 00:00:00 GMT' });
    routes.set('/npm/all.zip', { body: good, etag: '"n1"', lastModified: 'Wed, 03 Jan 2024 00:00:00 GMT', sidecar: '0'.repeat(64) });
    const before = readDbStatus(db());
    const r = await updateDatabase({ dbPath: db(), ecosystems: ['PyPI', 'npm'], baseUrl: base, ...quiet });
    assert.equal(r.rebuilt, false);
    assert.equal(r.failed.length, 2);
    assert.match(r.failed[0]?.error ?? '', /corrupt archive/);
    assert.match(r.failed[1]?.error ?? '', /sha256 .* does not match/);
    assert.equal(readDbStatus(db()).snapshot, before.snapshot);
  });

  test('a download over the size limit is stopped while streaming, without a content-length too', async () => {
    const body = osvZip(Array.from({ length: 40 }, (_, i) => ({ id: `GO-2024-${String(i).padStart(4, '0')}`, fixed: '1.0' })));
    routes.set('/Go/all.zip', { body, etag: '"g1"', lastModified: 'Wed, 03 Jan 2024 00:00:00 GMT', chunked: true });
    const before = readDbStatus(db());
    const outcome = await updateDatabase({ dbPath: db(), ecosystems: ['Go'], baseUrl: base, ...quiet, maxDownloadBytes: Math.floor(body.length / 2) + 1 }).then(
      (r) => r.failed.map((f) => f.error).join('\n'),
      (err: unknown) => (err instanceof PortwardenError ? `${err.code}: ${err.message}` : String(err)),
    );
    assert.match(outcome, /all\.zip exceeds the \d+-byte limit/);
    assert.equal(readDbStatus(db()).snapshot, before.snapshot, 'the index is untouched');
  });

  test('offline: a clear error naming the database still in use', async () => {
    const status = readDbStatus(db());
    await assert.rejects(
      updateDatabase({ dbPath: db(), sources: ['http://127.0.0.1:9/none/all.zip'], ...quiet, attempts: 2 }),
      (err: unknown) => {
        assert.ok(err instanceof PortwardenError);
        assert.equal(err.code, 'db_offline');
        assert.match(err.message, /^cannot reach http:\/\/127\.0\.0\.1:9\/none\/all\.zip: .*; the existing database \(snapshot [0-9a-f]{16}, built .*\) is still in use$/);
        assert.ok(err.message.includes(status.snapshot));
        return true;
      },
    );
  });

  test('export URLs encode the ecosystem and honour PORTWARDEN_OSV_BASE_URL', () => {
    assert.equal(osvExportUrl('Alpine:v3.19', 'https://mirror.test/osv/'), 'https://mirror.test/osv/Alpine%3Av3.19/all.zip');
    const saved = process.env.PORTWARDEN_OSV_BASE_URL;
    process.env.PORTWARDEN_OSV_BASE_URL = 'http://local.test';
    try {
      assert.equal(osvExportUrl('Go'), 'http://local.test/Go/all.zip');
    } finally {
      if (saved === undefined) delete process.env.PORTWARDEN_OSV_BASE_URL;
      else process.env.PORTWARDEN_OSV_BASE_URL = saved;
    }
  });
});
