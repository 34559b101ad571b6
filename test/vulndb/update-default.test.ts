/**
 * `db update` without `--ecosystem`: the ecosystems recorded from scanned images, else OSV.dev's
 * full export; `--all` and `--ecosystem` override. Against a local HTTP server laid out like
 * OSV.dev's bucket (`<ECOSYSTEM>/all.zip`, `all.zip`, `ecosystems.txt`).
 */
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { zipSync, strToU8 } from 'fflate';
import { updateDatabase } from '../../src/vulndb/update.ts';
import { readDbStatus } from '../../src/vulndb/store.ts';
import { readSeenEcosystems, recordSeenEcosystems, seenEcosystemsPath } from '../../src/vulndb/seen-ecosystems.ts';
import { inventoryTarget } from '../../src/scan/pipeline.ts';
import { UserInputError } from '../../src/util/errors.ts';
import { REPO_ROOT } from '../helpers/shared-data.ts';
import { osvRecord, tempDir } from './helpers.ts';

const run = promisify(execFile);

function exportZip(ecosystem: string, name: string, ids: string[]): Buffer {
  const files: Record<string, Uint8Array> = {};
  for (const id of ids) files[`${id}.json`] = strToU8(JSON.stringify(osvRecord(id, ecosystem, name, [{ introduced: '0' }, { fixed: '99' }])));
  return Buffer.from(zipSync(files));
}

describe('db update: default ecosystems from scanned images', () => {
  const tmp = tempDir('pw-update-default-');
  const routes = new Map<string, Buffer | string>();
  const requested: string[] = [];
  let server: http.Server;
  let base = '';
  let n = 0;
  let dbPath = '';
  const quiet = { backoffMs: 1, timeoutMs: 10_000, attempts: 1 };
  /** Fetched paths, without the `.sha256` sidecar probes. */
  const fetched = (): string[] => requested.filter((u) => !u.endsWith('.sha256')).sort();

  before(async () => {
    routes.set('/ecosystems.txt', 'AlmaLinux\nAlpine\nDebian\nGo\nPyPI\nUbuntu\nnpm\ncrates.io\n');
    routes.set('/Debian/all.zip', exportZip('Debian:12', 'openssl', ['DSA-0001-1']));
    routes.set('/PyPI/all.zip', exportZip('PyPI', 'requests', ['PYSEC-0001']));
    routes.set('/npm/all.zip', exportZip('npm', 'lodash', ['GHSA-0001']));
    routes.set('/all.zip', Buffer.from(zipSync({
      'DSA-0001-1.json': strToU8(JSON.stringify(osvRecord('DSA-0001-1', 'Debian:12', 'openssl', [{ introduced: '0' }, { fixed: '99' }]))),
      'GHSA-0001.json': strToU8(JSON.stringify(osvRecord('GHSA-0001', 'npm', 'lodash', [{ introduced: '0' }, { fixed: '99' }]))),
      'GO-0001.json': strToU8(JSON.stringify(osvRecord('GO-0001', 'Go', 'example.com/m', [{ introduced: '0' }, { fixed: '99' }]))),
    })));
    server = http.createServer((req, res) => {
      const url = req.url ?? '';
      requested.push(url);
      const body = routes.get(url);
      if (body === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { etag: `"${url}"` }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    tmp.cleanup();
  });
  beforeEach(() => {
    requested.length = 0;
    dbPath = path.join(tmp.dir, `case-${++n}`, 'advisories.db');
  });

  /** A small Debian 12 root filesystem with one Python project in it, scanned through `dir:`. */
  function debianRootfs(): string {
    const root = path.join(tmp.dir, 'rootfs');
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    mkdirSync(path.join(root, 'var/lib/dpkg'), { recursive: true });
    mkdirSync(path.join(root, 'app'), { recursive: true });
    writeFileSync(path.join(root, 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n');
    writeFileSync(path.join(root, 'var/lib/dpkg/status'), 'Package: libssl3\nStatus: install ok installed\nVersion: 3.0.11-1~deb12u2\nSource: openssl\nArchitecture: amd64\n\n');
    writeFileSync(path.join(root, 'app/requirements.txt'), 'requests==2.31.0\n');
    return root;
  }

  test('a scan records its ecosystems; update then fetches only those exports', async () => {
    const seenFile = seenEcosystemsPath(dbPath);
    const report = await inventoryTarget(`dir:${debianRootfs()}`, { scanners: ['vuln'], seenEcosystemsFile: seenFile });
    assert.ok(report.packages.some((p) => p.ecosystem === 'Debian:12') && report.packages.some((p) => p.ecosystem === 'PyPI'), JSON.stringify(report.packages));
    assert.deepEqual(readSeenEcosystems(seenFile).ecosystems.map((e) => [e.name, e.seen_as]), [['Debian', ['Debian:12']], ['PyPI', ['PyPI']]]);

    const logs: string[] = [];
    const r = await updateDatabase({ dbPath, baseUrl: base, ...quiet, log: (l) => logs.push(l) });
    assert.deepEqual(fetched(), ['/Debian/all.zip', '/PyPI/all.zip', '/ecosystems.txt']);
    assert.deepEqual(r.plan.ecosystems, ['Debian', 'PyPI']);
    assert.match(r.plan.reason, /^ecosystems recorded from scanned images \(.*seen-ecosystems\.json\): Debian \(Debian:12; last seen \d{4}-\d\d-\d\d\), PyPI \(PyPI; /);
    assert.deepEqual(readDbStatus(dbPath).ecosystems.map((e) => e.ecosystem).sort(), ['Debian:12', 'PyPI']);
  });

  test('recorded ecosystems OSV.dev does not publish (ecosystems.txt) are skipped and named', async () => {
    recordSeenEcosystems(seenEcosystemsPath(dbPath), ['npm', 'Amazon Linux:2', 'Alpine:v3.18']);
    routes.set('/Alpine/all.zip', exportZip('Alpine:v3.18', 'busybox', ['ALPINE-0001']));
    try {
      const r = await updateDatabase({ dbPath, baseUrl: base, ...quiet });
      assert.deepEqual(fetched(), ['/Alpine/all.zip', '/ecosystems.txt', '/npm/all.zip']);
      assert.match(r.plan.reason, /; not published by OSV\.dev, skipped: Amazon Linux$/);
    } finally {
      routes.delete('/Alpine/all.zip');
    }
  });

  test('without ecosystems.txt every recorded ecosystem is fetched', async () => {
    recordSeenEcosystems(seenEcosystemsPath(dbPath), ['npm', 'Debian:11']);
    const list = routes.get('/ecosystems.txt');
    routes.delete('/ecosystems.txt');
    const logs: string[] = [];
    try {
      await updateDatabase({ dbPath, baseUrl: base, ...quiet, log: (l) => logs.push(l) });
    } finally {
      routes.set('/ecosystems.txt', list ?? '');
    }
    assert.deepEqual(fetched(), ['/Debian/all.zip', '/ecosystems.txt', '/npm/all.zip']);
    assert.ok(logs.some((l) => /ecosystems\.txt: HTTP 404; fetching every recorded ecosystem/.test(l)), logs.join('\n'));
  });

  test('nothing recorded: the full export, and the reason says so', async () => {
    const r = await updateDatabase({ dbPath, baseUrl: base, ...quiet });
    assert.deepEqual(fetched(), ['/all.zip']);
    assert.match(r.plan.reason, /^no scanned ecosystems recorded yet \(.*\): OSV\.dev's full export/);
    assert.equal(readDbStatus(dbPath).advisories, 3);
  });

  test('--all fetches the full export even with recorded ecosystems; --all with --ecosystem is a usage error', async () => {
    recordSeenEcosystems(seenEcosystemsPath(dbPath), ['npm']);
    const r = await updateDatabase({ dbPath, baseUrl: base, all: true, ...quiet });
    assert.deepEqual(fetched(), ['/all.zip']);
    assert.match(r.plan.reason, /^--all/);
    await assert.rejects(updateDatabase({ dbPath, baseUrl: base, all: true, ecosystems: ['npm'], ...quiet }), UserInputError);
  });

  test('an explicit --ecosystem wins over the record and is mapped to the export name', async () => {
    recordSeenEcosystems(seenEcosystemsPath(dbPath), ['npm']);
    const logs: string[] = [];
    const r = await updateDatabase({ dbPath, baseUrl: base, ecosystems: ['Debian:12', 'Debian:11'], ...quiet, log: (l) => logs.push(l) });
    assert.deepEqual(fetched(), ['/Debian/all.zip']);
    assert.deepEqual(r.plan.ecosystems, ['Debian']);
    assert.ok(logs.some((l) => l.startsWith('Debian:12: OSV.dev publishes one export per distribution')), logs.join('\n'));
  });

  test('a corrupt record is a warning and counts as empty (full export); the next scan rewrites it', async () => {
    const seenFile = seenEcosystemsPath(dbPath);
    mkdirSync(path.dirname(seenFile), { recursive: true });
    writeFileSync(seenFile, '{"format":"portwarden-seen-ecosystems","version":1,"ecosystems":{"npm":');
    const logs: string[] = [];
    const r = await updateDatabase({ dbPath, baseUrl: base, ...quiet, log: (l) => logs.push(l) });
    assert.deepEqual(fetched(), ['/all.zip']);
    assert.equal(r.rebuilt, true);
    assert.ok(logs.some((l) => l.startsWith(`ignoring corrupt ${seenFile}: not JSON`)), logs.join('\n'));

    const warnings: string[] = [];
    await inventoryTarget(`dir:${debianRootfs()}`, { scanners: ['vuln'], seenEcosystemsFile: seenFile, onWarning: (w) => warnings.push(w) });
    assert.ok(warnings.some((w) => w.startsWith(`ignoring corrupt ${seenFile}`)), warnings.join('\n'));
    assert.deepEqual(readSeenEcosystems(seenFile).ecosystems.map((e) => e.name), ['Debian', 'PyPI']);
    JSON.parse(readFileSync(seenFile, 'utf8'));
  });

  test('CLI: update prints what it fetched and why; status lists the recorded ecosystems', async () => {
    const seenFile = seenEcosystemsPath(dbPath);
    recordSeenEcosystems(seenFile, ['PyPI', 'Debian:12']);
    const cli = (args: string[]) => run(process.execPath, [path.join(REPO_ROOT, 'bin', 'portwarden.js'), ...args], { env: { ...process.env, PORTWARDEN_OSV_BASE_URL: base }, timeout: 60_000 });
    const upd = await cli(['db', 'update', '--db', dbPath, '--quiet']);
    assert.match(upd.stderr, /^fetched: ecosystems recorded from scanned images \(.*\): Debian \(Debian:12; .*\), PyPI \(PyPI; .*\)$/m);
    assert.match(upd.stdout, /^updated 2 source\(s\)/);
    assert.deepEqual(fetched(), ['/Debian/all.zip', '/PyPI/all.zip', '/ecosystems.txt']);
    const text = await cli(['db', 'status', '--db', dbPath]);
    assert.match(text.stdout, /ecosystems recorded from scanned images .*:\n {2}Debian +seen as Debian:12; first \d{4}-\d\d-\d\d, last \d{4}-\d\d-\d\d\n {2}PyPI +seen as PyPI;/);
    const json = JSON.parse((await cli(['db', 'status', '--db', dbPath, '--format', 'json'])).stdout) as { seen_ecosystems: { file: string; ecosystems: { name: string }[] } };
    assert.equal(json.seen_ecosystems.file, seenFile);
    assert.deepEqual(json.seen_ecosystems.ecosystems.map((e) => e.name), ['Debian', 'PyPI']);
  });
});
