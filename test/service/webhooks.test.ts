/**
 * Registry push notifications → scans: the envelope parser on its own, then a real Distribution
 * registry posting its events to a running service (embedded store, real pipeline).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { pushTargetsFromEnvelope } from '../../src/service/webhooks.ts';
import { loadConfig } from '../../src/config/index.ts';
import { startService } from '../../src/service/server.ts';
import type { ServiceHandle } from '../../src/service/server.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { importAdvisories } from '../../src/vulndb/import.ts';
import { freePort, registryAvailable, startRegistry } from '../helpers/registry.ts';
import type { TestRegistry } from '../helpers/registry.ts';
import { buildImage, pushImage } from '../helpers/image-builder.ts';
import { requireOrSkip } from '../helpers/shared-data.ts';

const D = `sha256:${'1'.repeat(64)}`;
const MT = 'application/vnd.oci.image.manifest.v1+json';

describe('distribution event envelope', () => {
  test('tagged manifest pushes become targets; pulls, blobs and untagged children are skipped', () => {
    const { targets, skipped } = pushTargetsFromEnvelope({ events: [
      { id: 'e1', action: 'push', target: { mediaType: MT, repository: 'team/app', digest: D, tag: '1.0', url: `http://reg.example:5000/v2/team/app/manifests/${D}` }, request: { host: 'ignored:1' } },
      { id: 'e1b', action: 'push', target: { mediaType: MT, repository: 'team/app', digest: D, tag: '1.0', url: `http://reg.example:5000/v2/team/app/manifests/${D}` } },
      { id: 'e2', action: 'pull', target: { mediaType: MT, repository: 'team/app', digest: D, tag: '1.0' } },
      { id: 'e3', action: 'push', target: { mediaType: 'application/octet-stream', repository: 'team/app', digest: D } },
      { id: 'e4', action: 'push', target: { mediaType: MT, repository: 'team/app', digest: D }, request: { host: 'reg.example:5000' } },
      { id: 'e5', action: 'push', target: { mediaType: MT, repository: 'team/app', digest: 'md5:x', tag: 'x' } },
    ] });
    assert.deepEqual(targets, [{ target: `reg.example:5000/team/app:1.0@${D}`, digest: D, event_id: 'e1' }]);
    assert.deepEqual(skipped.map((s) => s.event_id), ['e2', 'e3', 'e4', 'e5']);
    assert.equal(pushTargetsFromEnvelope({}).targets.length, 0);
    assert.equal(pushTargetsFromEnvelope(null).targets.length, 0);
  });

  test('fuzz: arbitrary JSON never throws', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      pushTargetsFromEnvelope(v);
      pushTargetsFromEnvelope({ events: [v] });
    }), { numRuns: 300 });
  });
});

describe('real registry notifications → scans', () => {
  let registry: TestRegistry | undefined;
  let svc: ServiceHandle | undefined;
  let home: string;
  let unavailable: string | undefined;

  before(async () => {
    if (!registryAvailable()) { unavailable = 'docker-registry'; return; }
    home = mkdtempSync(path.join(os.tmpdir(), 'pw-hook-'));
    const port = await freePort();
    registry = await startRegistry({ notifications: { url: `http://127.0.0.1:${port}/webhooks/registry` } });
    const osv = path.join(home, 'osv.json');
    writeFileSync(osv, JSON.stringify({ id: 'DSA-5003-TEST', aliases: ['CVE-2024-0727'], modified: '2024-02-01T00:00:00Z', affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.13-1~deb12u1' }] }] }] }));
    const dbPath = path.join(home, 'advisories.db');
    await importAdvisories([osv], { dbPath, replace: true });
    const cfg = loadConfig({ env: {}, flags: { home, port, allowAnonymous: true, advisoryDbPath: dbPath, allowRegistries: [registry.host], insecureRegistries: [registry.host], pollingSeconds: 0.5, logLevel: 'silent' } });
    svc = await startService(cfg, { api: true, storeDir: 'memory://', logger: createLogger('silent'), defaultMetrics: false });
  });

  after(async () => {
    await svc?.close();
    await registry?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('a push is scanned without anyone calling POST /scans', async (t) => {
    if (unavailable) { requireOrSkip(t, false, unavailable); return; }
    const image = await buildImage({ layers: [{ files: [
      { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' },
      { path: 'var/lib/dpkg/status', content: 'Package: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.11-1~deb12u1\nDescription: x\n' },
    ] }] });
    const { digest } = await pushImage(registry!, 'team/pushed', 'v1', image);
    const end = Date.now() + 60000;
    let scan: { status: string; target: string; digest: string | null; scan_id: string; summary: { total: number } } | undefined;
    while (Date.now() < end) {
      const items = (await svc!.app!.inject({ method: 'GET', url: '/scans' })).json().items as NonNullable<typeof scan>[];
      scan = items.find((s) => s.target.includes('team/pushed'));
      if (scan?.status === 'completed' || scan?.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(scan, 'a scan was queued from the notification');
    assert.equal(scan.target, `${registry!.host}/team/pushed:v1@${digest}`);
    assert.equal(scan.status, 'completed');
    assert.equal(scan.digest, digest);
    assert.equal(scan.summary.total, 1);
  });
});
