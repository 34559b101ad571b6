/**
 * End to end on a real image: a `debootstrap --variant=minbase bookworm` root filesystem plus real
 * npm packages installed from the registry, packed as OCI layers by the test helpers, then scanned
 * through the full pipeline from an OCI layout and from a real registry. The inventory must equal
 * what `dpkg-query` and `npm ls` say about the same files; the findings must be exactly the ones the
 * handwritten advisories (about real CVEs) imply, with backported fixes not reported.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildImage, layerFromDirectory, pushImage, writeOciLayout, type BuiltImage } from '../helpers/image-builder.ts';
import { registryAvailable, startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { debootstrapAvailable, ensureDebianRootfs } from '../helpers/debian-rootfs.ts';
import { IN_CI, REPO_ROOT } from '../helpers/shared-data.ts';
import { importAdvisories } from '../../src/vulndb/import.ts';
import { inventoryTarget, scanTarget } from '../../src/scan/pipeline.ts';
import type { Report } from '../../src/model/report.ts';

const NPM_APP_CACHE = '/tmp/pw-e2e-npm-app';
const ADVISORIES = path.join(REPO_ROOT, 'test/fixtures/e2e/advisories');
/** The version we pretend is installed: before the DSA-5514-1 fix (2.36-9+deb12u3). */
const OLD_LIBC6 = '2.36-9+deb12u1';

function ensureNpmApp(): string {
  if (existsSync(`${NPM_APP_CACHE}.complete`)) return NPM_APP_CACHE;
  rmSync(NPM_APP_CACHE, { recursive: true, force: true });
  const app = path.join(NPM_APP_CACHE, 'app');
  mkdirSync(app, { recursive: true });
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'e2e-app', version: '1.0.0', private: true }));
  // express 4 depends on debug 2.x while the app wants debug 4: npm nests one copy, as real apps do.
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', 'express@4.18.2', 'lodash@4.17.20', 'debug@4.3.4'], { cwd: app, stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
  writeFileSync(`${NPM_APP_CACHE}.complete`, '');
  return NPM_APP_CACHE;
}

function withOldLibc(status: string): string {
  const stanzas = status.split(/\n\n+/);
  let changed = 0;
  const out = stanzas.map((s) => {
    if (!/^Package: libc6$/m.test(s)) return s;
    changed++;
    return s.replace(/^Version: .*$/m, `Version: ${OLD_LIBC6}`);
  });
  assert.equal(changed, 1, 'the rootfs has exactly one libc6 stanza');
  return out.join('\n\n');
}

function dpkgQuery(status: string): string[] {
  const admin = mkdtempSync(path.join(tmpdir(), 'pw-admindir-'));
  try {
    mkdirSync(path.join(admin, 'info'));
    mkdirSync(path.join(admin, 'updates'));
    writeFileSync(path.join(admin, 'status'), status);
    const out = execFileSync('dpkg-query', [`--admindir=${admin}`, '-W', '-f', '${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n'], { encoding: 'utf8' });
    return out.split('\n').filter((l) => l.startsWith('ii ')).map((l) => l.split('\t').slice(1).join('\t')).sort();
  } finally {
    rmSync(admin, { recursive: true, force: true });
  }
}

function npmLs(appDir: string): string[] {
  const r = spawnSync('npm', ['ls', '--all', '--json'], { cwd: appDir, encoding: 'utf8', maxBuffer: 64 << 20 });
  const tree = JSON.parse(r.stdout) as { dependencies?: Record<string, NpmNode> };
  const seen = new Set<string>();
  const walk = (deps: Record<string, NpmNode> | undefined): void => {
    for (const [name, node] of Object.entries(deps ?? {})) {
      if (node.version) seen.add(`${name}@${node.version}`);
      walk(node.dependencies);
    }
  };
  walk(tree.dependencies);
  return [...seen].sort();
}
interface NpmNode { version?: string; dependencies?: Record<string, NpmNode> }

const ready = debootstrapAvailable() && registryAvailable();

describe('e2e: Debian bookworm image with npm packages', { skip: !ready && !IN_CI ? 'needs root, debootstrap and docker-registry' : false }, () => {
  let work: string;
  let layout: string;
  let dbPath: string;
  let image: BuiltImage;
  let status: string;
  let appDir: string;
  let registry: TestRegistry | undefined;

  before(async () => {
    assert.ok(ready, 'e2e needs root, debootstrap and docker-registry (scripts/ensure-test-deps.sh installs them)');
    const rootfs = ensureDebianRootfs();
    const npmApp = ensureNpmApp();
    appDir = path.join(npmApp, 'app');
    work = mkdtempSync(path.join(tmpdir(), 'pw-e2e-'));
    status = withOldLibc(readFileSync(path.join(rootfs, 'var/lib/dpkg/status'), 'utf8'));
    image = await buildImage({
      layers: [
        await layerFromDirectory(rootfs, { compression: 'gzip' }),
        await layerFromDirectory(npmApp, { compression: 'zstd' }),
        { files: [{ path: 'var/lib/dpkg/status', content: status, mode: 0o644 }], compression: 'gzip' },
      ],
      config: { config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/bash'] } },
    });
    layout = path.join(work, 'layout');
    await writeOciLayout(layout, image, 'e2e');
    dbPath = path.join(work, 'advisories.db');
    await importAdvisories([ADVISORIES], { dbPath, replace: true });
  });

  after(async () => {
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('dpkg inventory equals dpkg-query on the same status file', async () => {
    const report = await inventoryTarget(`oci:${layout}:e2e`, { scanners: ['vuln'] });
    assert.equal(report.os?.ecosystem, 'Debian:12');
    const ours = report.packages
      .filter((p) => p.type === 'deb')
      .map((p) => [p.name, p.version, p.arch ?? '', p.source?.name ?? p.name, p.source?.version ?? p.version].join('\t'))
      .sort();
    const theirs = dpkgQuery(status);
    assert.ok(theirs.length > 80, `minbase has ~90 packages, dpkg-query listed ${theirs.length}`);
    assert.deepEqual(ours, theirs);
  });

  test('npm inventory equals npm ls --all for the installed tree', async () => {
    const report = await inventoryTarget(`oci:${layout}:e2e`, { scanners: ['vuln'] });
    const ours = [...new Set(report.packages.filter((p) => p.type === 'npm').map((p) => `${p.name}@${p.version}`))].sort();
    const theirs = npmLs(appDir);
    assert.ok(theirs.includes('debug@2.6.9') && theirs.includes('debug@4.3.4'), 'nested debug versions present');
    assert.deepEqual(ours, theirs);
    const nested = report.packages.find((p) => p.name === 'debug' && p.version === '2.6.9');
    assert.ok(nested?.locations.some((l) => l.path.startsWith('app/node_modules/') && l.layer === image.layers[1]?.digest));
  });

  test('findings: the old libc6 is vulnerable, libc-bin from the same source at the fixed version is not, lodash is', async () => {
    const report: Report = await scanTarget(`oci:${layout}:e2e`, { dbPath, scanners: ['vuln'] });
    const byKey = new Map(report.vulnerabilities.map((v) => [`${v.package_name}:${v.cve_id}`, v]));
    const glibc = byKey.get('libc6:CVE-2023-4911');
    assert.ok(glibc, `CVE-2023-4911 on libc6 expected; got ${[...byKey.keys()].join(', ')}`);
    assert.equal(glibc.installed_version, OLD_LIBC6);
    assert.equal(glibc.fixed_version, '2.36-9+deb12u3');
    assert.equal(glibc.status, 'fixed');
    assert.equal(glibc.severity, 'HIGH');
    assert.equal(glibc.layer, image.layers[2]?.digest, 'attributed to the layer that wrote the status file');
    assert.ok(!byKey.has('libc-bin:CVE-2023-4911'), 'libc-bin carries the backported fix');
    const lodash = byKey.get('lodash:CVE-2021-23337');
    assert.ok(lodash);
    assert.equal(lodash.fixed_version, '4.17.21');
    assert.equal(report.summary.total, report.vulnerabilities.length);
    assert.equal(report.vulnerabilities.length, 2, 'no finding beyond what the two advisories imply');
    assert.equal(report.digest, image.manifest.digest);
  });

  test('the same image from a real registry gives the same inventory and digest', async () => {
    registry = await startRegistry({ auth: 'none' });
    const { digest } = await pushImage(registry, 'e2e/debian', 'bookworm', image);
    const fromRegistry = await scanTarget(`${registry.host}/e2e/debian:bookworm`, { dbPath, scanners: ['vuln'] });
    const fromLayout = await scanTarget(`oci:${layout}:e2e`, { dbPath, scanners: ['vuln'] });
    assert.equal(fromRegistry.digest, digest);
    assert.deepEqual(fromRegistry.packages.map((p) => p.purl), fromLayout.packages.map((p) => p.purl));
    assert.deepEqual(fromRegistry.vulnerabilities.map((v) => v.id), fromLayout.vulnerabilities.map((v) => v.id));
  });
});
