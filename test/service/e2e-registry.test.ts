/**
 * The service with the real scan pipeline against a real Distribution registry, on the embedded
 * store and on PostgreSQL: an image whose dpkg database holds a vulnerable openssl is scanned to
 * completion with the CVE from a hand-written Debian OSV record; the same digest is then served
 * from the cache; an unreachable registry is retried and dead-lettered with its error.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
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
import { freePort, registryAvailable, startRegistry } from '../helpers/registry.ts';
import type { TestRegistry } from '../helpers/registry.ts';
import { buildImage, pushImage } from '../helpers/image-builder.ts';
import { requireOrSkip } from '../helpers/shared-data.ts';
import { waitFor as waitUntil } from '../helpers/wait.ts';

const OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n';
const DPKG_STATUS = [
  'Package: openssl\nStatus: install ok installed\nPriority: optional\nSection: utils\nInstalled-Size: 2000\nMaintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>\nArchitecture: amd64\nVersion: 3.0.11-1~deb12u1\nDescription: Secure Sockets Layer toolkit\n',
  'Package: base-files\nStatus: install ok installed\nPriority: required\nSection: admin\nInstalled-Size: 300\nMaintainer: Santiago Vila <sanvila@debian.org>\nArchitecture: amd64\nVersion: 12.4+deb12u5\nDescription: Debian base system miscellaneous files\n',
].join('\n');

const OSV_RECORD = {
  schema_version: '1.6.0',
  id: 'DSA-5000-TEST',
  aliases: ['CVE-2024-0727'],
  modified: '2024-02-01T00:00:00Z',
  published: '2024-01-26T00:00:00Z',
  summary: 'openssl: denial of service via null dereference',
  details: 'Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash.',
  affected: [{
    package: { ecosystem: 'Debian:12', name: 'openssl' },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.13-1~deb12u1' }] }],
  }],
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H' }],
};

const waitFor = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60000): Promise<T> => waitUntil(what, fn, timeoutMs, 150);

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`service + real pipeline + real registry (${backend})`, () => {
    let registry: TestRegistry | undefined;
    let svc: ServiceHandle | undefined;
    let pgdb: TestDatabase | undefined;
    let home: string;
    let closedPort: number;
    let imageDigest: string;
    let unavailable: string | undefined;

    before(async () => {
      if (!registryAvailable()) { unavailable = 'docker-registry'; return; }
      if (backend === 'postgres') {
        pgdb = await withPostgres();
        if (!pgdb) { unavailable = 'PostgreSQL'; return; }
      }
      home = mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-'));
      registry = await startRegistry();
      const image = await buildImage({ layers: [{ files: [
        { path: 'etc/os-release', content: OS_RELEASE },
        { path: 'var/lib/dpkg/status', content: DPKG_STATUS },
      ] }] });
      imageDigest = (await pushImage(registry, 'team/app', '1.0', image)).digest;
      const osvFile = path.join(home, 'DSA-5000-TEST.json');
      writeFileSync(osvFile, JSON.stringify(OSV_RECORD));
      const dbPath = path.join(home, 'db', 'advisories.db');
      await importAdvisories([osvFile], { dbPath, replace: true });
      closedPort = await freePort();
      const cfg = loadConfig({
        env: {},
        flags: {
          home, port: 0, allowAnonymous: true, advisoryDbPath: dbPath,
          allowRegistries: [registry.host, `127.0.0.1:${closedPort}`], insecureRegistries: [registry.host, `127.0.0.1:${closedPort}`],
          concurrency: 2, leaseSeconds: 30, maxAttempts: 2, retryDelaySeconds: 1, maintenanceSeconds: 1, pollingSeconds: 0.5, logLevel: 'silent',
          ...(pgdb ? { databaseUrl: pgdb.url } : {}),
        },
      });
      svc = await startService(cfg, { api: true, storeDir: 'memory://', logger: createLogger('silent'), defaultMetrics: false });
    });

    after(async () => {
      await svc?.close();
      await registry?.stop();
      await pgdb?.drop();
      if (home) rmSync(home, { recursive: true, force: true });
    });

    const inject = (method: 'GET' | 'POST', url: string, payload?: object) => svc!.app!.inject({ method, url, ...(payload ? { payload } : {}) });
    const finished = (id: string) => waitFor(`scan ${id} to finish`, async () => {
      const r = (await inject('GET', `/scans/${id}`)).json();
      return r.status === 'completed' || r.status === 'failed' ? r : undefined;
    });

    test('scan of a pushed image completes with the CVE; the same digest is then served from the cache', async (t) => {
      if (unavailable) { requireOrSkip(t, false, unavailable); return; }
      const res = await inject('POST', '/scans', { type: 'docker-image', target: `${registry!.host}/team/app:1.0` });
      assert.equal(res.statusCode, 202, res.body);
      const first = await finished(res.json().scan_id);
      assert.equal(first.status, 'completed', first.error);
      assert.equal(first.digest, imageDigest);
      assert.equal(first.result_source, 'scan');
      const cve = first.vulnerabilities.find((v: { cve_id: string }) => v.cve_id === 'CVE-2024-0727');
      assert.ok(cve, JSON.stringify(first.vulnerabilities));
      assert.equal(cve.package_name, 'openssl');
      assert.equal(cve.installed_version, '3.0.11-1~deb12u1');
      assert.equal(cve.fixed_version, '3.0.13-1~deb12u1');
      assert.equal(first.vulnerabilities.filter((v: { package_name: string }) => v.package_name === 'base-files').length, 0);
      const report = (await inject('GET', `/scans/${first.scan_id}/report`)).json();
      assert.ok(report.packages.some((p: { name: string }) => p.name === 'openssl'));
      const sbom = (await inject('GET', `/images/${imageDigest}/sbom`)).json();
      assert.equal(sbom.digest, imageDigest);
      assert.ok(sbom.packages.some((p: { name: string; version: string }) => p.name === 'openssl' && p.version === '3.0.11-1~deb12u1'));
      const cdx = (await inject('GET', `/images/${imageDigest}/sbom?format=cyclonedx-json`)).json();
      assert.equal(cdx.bomFormat, 'CycloneDX');
      assert.equal(cdx.specVersion, '1.6');
      assert.ok(cdx.components.some((c: { name: string; version: string; purl?: string }) => c.name === 'openssl' && c.version === '3.0.11-1~deb12u1' && c.purl?.startsWith('pkg:deb/debian/openssl@')));
      const spdx = (await inject('GET', `/images/${imageDigest}/sbom?format=spdx-json`)).json();
      assert.equal(spdx.spdxVersion, 'SPDX-2.3');
      assert.ok(spdx.packages.some((p: { name: string; versionInfo?: string }) => p.name === 'openssl' && p.versionInfo === '3.0.11-1~deb12u1'));
      assert.equal((await inject('GET', `/images/${imageDigest}/sbom?format=xml`)).statusCode, 400);

      const again = await finished((await inject('POST', '/scans', { type: 'docker-image', target: `${registry!.host}/team/app@${imageDigest}` })).json().scan_id);
      assert.equal(again.status, 'completed');
      assert.equal(again.result_source, 'cache');
      assert.deepEqual(again.summary, first.summary);

      // New advisories (a new snapshot): the stored inventory is re-matched, nothing is pulled.
      const second = { ...OSV_RECORD, id: 'DSA-5002-TEST', aliases: ['CVE-2024-5535'], summary: 'openssl: SSL_select_next_proto buffer overread',
        affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.14-1~deb12u1' }] }] }] };
      const osv2 = path.join(home, 'DSA-5002-TEST.json');
      writeFileSync(osv2, JSON.stringify(second));
      await importAdvisories([osv2], { dbPath: path.join(home, 'db', 'advisories.db') });
      const rematched = await finished((await inject('POST', '/scans', { type: 'docker-image', target: `${registry!.host}/team/app:1.0` })).json().scan_id);
      assert.equal(rematched.status, 'completed', rematched.error);
      assert.equal(rematched.result_source, 'rematch');
      assert.notEqual(rematched.advisory_snapshot, first.advisory_snapshot);
      assert.deepEqual(rematched.vulnerabilities.map((v: { cve_id: string }) => v.cve_id).sort(), ['CVE-2024-0727', 'CVE-2024-5535']);
      const img = (await inject('GET', `/images/${imageDigest}`)).json();
      assert.equal(img.latest_scan_id, rematched.scan_id);

      // Where the three jobs spent their time: one pull and inventory, two matches (the scan and the
      // rematch), three digest lookups and three stores; the cache hit neither pulled nor matched.
      const count = (metrics: string, stage: string) => Number(new RegExp(`portwarden_scan_stage_duration_seconds_count\\{stage="${stage}"\\} (\\d+)`).exec(metrics)?.[1]);
      // The scan's row turns completed inside the persist stage, a moment before that stage is recorded.
      const metrics = await waitFor('the third job\'s persist stage', async () => {
        const body = (await inject('GET', '/metrics')).body;
        return count(body, 'persist') >= 3 ? body : undefined;
      }, 10_000);
      const stages = Object.fromEntries(['resolve', 'inventory', 'match', 'persist'].map((stage) => [stage, count(metrics, stage)]));
      assert.deepEqual(stages, { resolve: 3, inventory: 1, match: 2, persist: 3 }, metrics);
      const inventorySeconds = Number(/portwarden_scan_stage_duration_seconds_sum\{stage="inventory"\} ([\d.e-]+)/.exec(metrics)?.[1]);
      assert.ok(inventorySeconds > 0 && inventorySeconds < 60, String(inventorySeconds));
    });

    test('an unreachable registry: retried, then dead-lettered with the connection error', async (t) => {
      if (unavailable) { requireOrSkip(t, false, unavailable); return; }
      const res = await inject('POST', '/scans', { type: 'docker-image', target: `127.0.0.1:${closedPort}/team/app:1.0` });
      assert.equal(res.statusCode, 202, res.body);
      const failed = await finished(res.json().scan_id);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.attempts, 2);
      assert.ok(failed.error && failed.error.length > 0);
      assert.match(failed.error, /ECONNREFUSED|connect|refused|fetch failed/i);
      const dl = (await inject('GET', '/dead-letter')).json();
      assert.ok(dl.items.some((x: { scan_id: string }) => x.scan_id === failed.scan_id));
    });
  });
}
