/**
 * SIGKILL of a real `portwarden worker` process in the middle of pulling an image: a proxy in front
 * of a real registry stalls the first blob download, the worker holding it is killed, and a second
 * worker process completes the scan (with its findings) after the first one's lease expires.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { startService } from '../../src/service/server.ts';
import type { ServiceHandle } from '../../src/service/server.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { importAdvisories } from '../../src/vulndb/import.ts';
import { withPostgres } from '../helpers/postgres.ts';
import type { TestDatabase } from '../helpers/postgres.ts';
import { registryAvailable, startRegistry } from '../helpers/registry.ts';
import type { TestRegistry } from '../helpers/registry.ts';
import { buildImage, pushImage } from '../helpers/image-builder.ts';
import { REPO_ROOT, requireOrSkip } from '../helpers/shared-data.ts';

const OS_RELEASE = 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n';
const DPKG_STATUS = 'Package: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.11-1~deb12u1\nMaintainer: Debian OpenSSL Team <x@example.org>\nDescription: toolkit\n';
const OSV = {
  id: 'DSA-5001-TEST', aliases: ['CVE-2024-0727'], modified: '2024-02-01T00:00:00Z', summary: 'openssl PKCS12 null dereference', details: 'test record',
  affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.13-1~deb12u1' }] }] }],
};

/** Forwards to the registry; the first blob GET is held open forever (until the client dies). */
function stallingProxy(target: string): Promise<{ host: string; stalled: Promise<void>; close: () => Promise<void> }> {
  let stalledOnce = false;
  let onStall: () => void = () => {};
  const stalled = new Promise<void>((r) => { onStall = r; });
  const held: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    if (!stalledOnce && req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '')) {
      stalledOnce = true;
      held.push(res);
      onStall();
      return;
    }
    const [h, p] = target.split(':');
    const up = http.request({ host: h, port: Number(p), method: req.method, path: req.url, headers: { ...req.headers, host: target } }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        host: `127.0.0.1:${port}`,
        stalled,
        close: () => new Promise((r) => { for (const h of held) h.destroy(); server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}

function spawnCliWorker(args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/portwarden.js'), 'worker', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('worker running')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${err}`)));
  });
}

describe('SIGKILL of a real worker mid-pull (PostgreSQL)', () => {
  let registry: TestRegistry | undefined;
  let proxy: Awaited<ReturnType<typeof stallingProxy>> | undefined;
  let api: ServiceHandle | undefined;
  let pgdb: TestDatabase | undefined;
  let home: string;
  const children: ChildProcess[] = [];
  let unavailable: string | undefined;
  let workerArgs: string[] = [];

  before(async () => {
    if (!registryAvailable()) { unavailable = 'docker-registry'; return; }
    pgdb = await withPostgres();
    if (!pgdb) { unavailable = 'PostgreSQL'; return; }
    home = mkdtempSync(path.join(os.tmpdir(), 'pw-kill-'));
    registry = await startRegistry();
    const image = await buildImage({ layers: [{ files: [{ path: 'etc/os-release', content: OS_RELEASE }, { path: 'var/lib/dpkg/status', content: DPKG_STATUS }] }] });
    await pushImage(registry, 'team/app', '1.0', image);
    proxy = await stallingProxy(registry.host);
    const osvFile = path.join(home, 'osv.json');
    writeFileSync(osvFile, JSON.stringify(OSV));
    const dbPath = path.join(home, 'advisories.db');
    await importAdvisories([osvFile], { dbPath, replace: true });
    workerArgs = ['--database-url', pgdb.url, '--home', home, '--allow-registry', proxy.host, '--insecure-registry', proxy.host, '--db-path', dbPath,
      '--lease-seconds', '4', '--maintenance-seconds', '1', '--polling-seconds', '0.5', '--retry-delay-seconds', '1', '--concurrency', '1', '--log-level', 'silent'];
    const cfg = loadConfig({ env: {}, flags: { home, port: 0, worker: false, allowAnonymous: true, allowRegistries: [proxy.host], databaseUrl: pgdb.url, logLevel: 'silent' } });
    api = await startService(cfg, { api: true, logger: createLogger('silent'), defaultMetrics: false });
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await api?.close();
    await proxy?.close();
    await registry?.stop();
    await pgdb?.drop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('the scan is completed by the second worker with its findings', async (t) => {
    if (unavailable) { requireOrSkip(t, false, unavailable); return; }
    const victim = await spawnCliWorker(workerArgs);
    children.push(victim);
    const res = await api!.app!.inject({ method: 'POST', url: '/scans', payload: { type: 'docker-image', target: `${proxy!.host}/team/app:1.0` } });
    assert.equal(res.statusCode, 202, res.body);
    const id = res.json().scan_id as string;
    await proxy!.stalled;
    const scanning = (await api!.app!.inject({ method: 'GET', url: `/scans/${id}` })).json();
    assert.equal(scanning.status, 'scanning');
    const gone = new Promise((r) => victim.once('exit', r));
    victim.kill('SIGKILL');
    await gone;
    const rescuer = await spawnCliWorker(workerArgs);
    children.push(rescuer);
    const end = Date.now() + 60000;
    let s = scanning;
    while (s.status !== 'completed' && s.status !== 'failed' && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      s = (await api!.app!.inject({ method: 'GET', url: `/scans/${id}` })).json();
    }
    assert.equal(s.status, 'completed', s.error ?? '');
    assert.equal(s.attempts, 2);
    assert.ok(s.vulnerabilities.some((v: { cve_id: string }) => v.cve_id === 'CVE-2024-0727'));
    rescuer.kill('SIGTERM');
  });
});
