/**
 * Reports from real inputs, validated against the official schemas (test/report/schemas.ts):
 * CycloneDX 1.6 and SARIF 2.1.0 by their JSON schemas, SPDX 2.3 by the specification's rules.
 * Inputs: the trivy integration project fixtures matched against every staged OSV and distro
 * record, the debootstrap bookworm rootfs (dpkg database, Debian copyright licenses), and trivy's
 * secret corpus.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { renderReport } from '../../src/report/index.ts';
import { inventoryTarget, scanTarget } from '../../src/scan/pipeline.ts';
import type { Report } from '../../src/model/report.ts';
import { DEBIAN_ROOTFS, debootstrapAvailable, ensureDebianRootfs } from '../helpers/debian-rootfs.ts';
import { IN_CI, haveSharedData, requireOrSkip, sharedData } from '../helpers/shared-data.ts';
import { importStaged, tempDir } from '../vulndb/helpers.ts';
import { checkSpdx23, cycloneDxViolations, sarifViolations } from './schemas.ts';

type Json = Record<string, unknown>;

/** Every format of one report, each checked against its schema; returns the violations by format. */
function violations(report: Report, label: string): string[] {
  const out: string[] = [];
  const cdx = JSON.parse(renderReport(report, 'cyclonedx-json')) as Json;
  for (const v of cycloneDxViolations(cdx)) out.push(`${label} cyclonedx: ${v}`);
  for (const v of sarifViolations(JSON.parse(renderReport(report, 'sarif')))) out.push(`${label} sarif: ${v}`);
  for (const v of checkSpdx23(JSON.parse(renderReport(report, 'spdx-json')))) out.push(`${label} spdx: ${v}`);
  return out;
}

describe('reports from real inputs against the official schemas', () => {
  const tmp = tempDir('pw-report-schemas-');
  const dbPath = path.join(tmp.dir, 'advisories.db');
  let haveDb = false;
  before(async () => {
    if (!existsSync(sharedData('osv')) || !existsSync(sharedData('distro'))) {
      if (IN_CI) throw new Error('shared OSV/distro data missing under CI');
      return;
    }
    await importStaged(tmp.dir);
    haveDb = true;
  });
  after(() => tmp.cleanup());

  test('trivy integration project fixtures: scan reports with findings, and plain SBOMs', async (t) => {
    if (!haveSharedData(t, 'trivy-integration', 'repo') || !haveDb) return;
    const root = sharedData('trivy-integration', 'repo');
    const problems: string[] = [];
    let findings = 0;
    let packages = 0;
    const withFindings = new Set<string>();
    for (const name of readdirSync(root).sort()) {
      const target = `dir:${path.join(root, name)}`;
      const report = await scanTarget(target, { dbPath, scanners: ['vuln'] });
      findings += report.vulnerabilities.length;
      packages += report.packages.length;
      for (const v of report.vulnerabilities) withFindings.add(v.ecosystem);
      problems.push(...violations(report, name));
      problems.push(...violations(await inventoryTarget(target, { scanners: ['vuln'] }), `${name} (sbom)`));
    }
    assert.deepEqual(problems, []);
    // The check means something only if the documents carry findings of several ecosystems.
    assert.ok(findings >= 50, `only ${findings} findings`);
    assert.ok(packages >= 60, `only ${packages} packages`);
    assert.ok(withFindings.size >= 3, [...withFindings].join(','));
    t.diagnostic(`${packages} packages, ${findings} findings (${[...withFindings].sort().join(', ')}) in valid CycloneDX, SARIF and SPDX`);
  });

  test('Debian bookworm rootfs: OS packages, source packages and Debian licence names', async (t) => {
    if (!requireOrSkip(t, existsSync(`${DEBIAN_ROOTFS}.complete`) || debootstrapAvailable(), 'debootstrap (root) or a cached rootfs') || !haveDb) return;
    const report = await scanTarget(`dir:${ensureDebianRootfs()}`, { dbPath, scanners: ['vuln'] });
    assert.ok(report.packages.length > 80, String(report.packages.length));
    assert.ok(report.packages.some((p) => p.licenses?.some((l) => l.startsWith('GPL-2'))), 'Debian licence names present');
    assert.deepEqual(violations(report, 'bookworm'), []);
  });

  test('secret findings (trivy secret corpus) in SARIF', async (t) => {
    if (!haveSharedData(t, 'secrets', 'trivy-corpus', 'files')) return;
    const report = await inventoryTarget(`dir:${sharedData('secrets', 'trivy-corpus', 'files')}`, { scanners: ['secret'] });
    assert.ok(report.secrets.length >= 20, String(report.secrets.length));
    assert.deepEqual(sarifViolations(JSON.parse(renderReport(report, 'sarif'))), []);
  });
});
