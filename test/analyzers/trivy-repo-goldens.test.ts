/**
 * Every trivy-integration repo fixture scanned as a whole directory (`dir:`), as a user would,
 * against Trivy's golden report for it: the same packages (name, version, purl) per file, except
 * where the difference is by design and listed here with the reason (docs/inventory.md).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { haveSharedData, sharedData } from '../helpers/shared-data.ts';
import { inventoryTarget } from '../../src/scan/pipeline.ts';
import type { Package } from '../../src/model/inventory.ts';

interface GoldenPackage { Name: string; Version: string; Identifier?: { PURL?: string } }
interface GoldenResult { Target: string; Packages?: GoldenPackage[]; Vulnerabilities?: { PkgName: string; InstalledVersion: string }[] }

const FIXTURE_OF: Record<string, string> = {
  'pubspec.lock': 'pubspec', 'mix.lock': 'mixlock', 'composer.lock': 'composer', 'composer.vendor': 'composer-vendor',
  'cargo.lock': 'cargo', 'npm-with-dev': 'npm', 'npm-ubuntu-severity': 'npm',
};
/** Ecosystems we do not analyze (CocoaPods, Conan, Hex, Pub, SwiftPM) and Maven build files (pom.xml, Gradle/sbt locks). */
const UNSUPPORTED = new Set(['cocoapods', 'conan', 'mixlock', 'pubspec', 'swift', 'pom', 'gradle', 'sbt']);
/** A project with node_modules is reported from what is installed, not from its lockfile (Trivy's image mode does the same). */
const INSTALLED_BEATS_LOCKED = new Set(['npm', 'pnpm', 'yarn']);

const id = (name: string, version: string): string => `${name}@${version}`;

describe('trivy-integration repo fixtures scanned as directories vs the goldens', () => {
  const dir = sharedData('trivy-integration', 'goldens', 'repo');
  const goldens = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json.golden')).sort() : [];

  test('the goldens are there', (t) => {
    if (!haveSharedData(t, 'trivy-integration', 'goldens', 'repo')) return;
    assert.ok(goldens.length >= 26, String(goldens.length));
  });

  for (const golden of goldens) {
    const base = golden.replace(/\.json\.golden$/, '');
    const fixture = FIXTURE_OF[base] ?? base;
    test(`${golden} (repo/${fixture})`, async (t) => {
      if (!haveSharedData(t, 'trivy-integration', 'repo', fixture)) return;
      const results = (JSON.parse(readFileSync(sharedData('trivy-integration', 'goldens', 'repo', golden), 'utf8')) as { Results?: GoldenResult[] }).Results ?? [];
      const report = await inventoryTarget(`dir:${sharedData('trivy-integration', 'repo', fixture)}`, { scanners: ['vuln'] });
      const withDev = base === 'npm-with-dev';
      const ours = (report.packages as Package[]).filter((p) => withDev || !p.dev);
      const at = (target: string): Package[] => ours.filter((p) => p.locations.some((l) => l.path === target));

      if (UNSUPPORTED.has(fixture)) {
        assert.deepEqual(ours.map((p) => id(p.name, p.version)), []);
        return;
      }
      if (fixture === 'composer-vendor') {
        // The fixture keeps installed.json at the project root; Composer only ever writes
        // <vendor-dir>/composer/installed.json, which is what we read.
        assert.deepEqual(ours, []);
        return;
      }
      if (INSTALLED_BEATS_LOCKED.has(fixture)) {
        const locked = new Set(results.flatMap((r) => [...(r.Packages ?? []).map((p) => id(p.Name, p.Version)), ...(r.Vulnerabilities ?? []).map((v) => id(v.PkgName, v.InstalledVersion))]));
        assert.ok(ours.length > 0);
        const vulnerable = results.flatMap((r) => (r.Vulnerabilities ?? []).map((v) => id(v.PkgName, v.InstalledVersion)));
        for (const v of vulnerable) assert.ok(ours.some((p) => id(p.name, p.version) === v), `${v} not found`);
        if (!results.some((r) => r.Packages)) return; // a golden made without --list-all-pkgs
        for (const p of ours) {
          assert.match(p.locations[0]?.path ?? '', /(^|\/)node_modules\/.*package\.json$/, id(p.name, p.version));
          // Every installed package is one the lockfile has (z-lock is dev: only with --include-dev-deps).
          assert.ok(locked.has(id(p.name, p.version)), `${id(p.name, p.version)} is not in the golden's lockfile`);
        }
        return;
      }
      for (const r of results) {
        if (r.Packages) {
          const want = r.Packages.map((p) => `${id(p.Name, p.Version)} ${p.Identifier?.PURL ?? ''}`).sort();
          assert.deepEqual(at(r.Target).map((p) => `${id(p.name, p.version)} ${p.purl}`).sort(), want, r.Target);
        }
        // Without --list-all-pkgs only the vulnerable packages are known; go.sum completes a pre-1.17 go.mod beside it.
        const dirOf = r.Target.includes('/') ? r.Target.slice(0, r.Target.lastIndexOf('/') + 1) : '';
        const near = new Set(ours.filter((p) => p.locations.some((l) => l.path === r.Target || (r.Target.endsWith('go.mod') && l.path === `${dirOf}go.sum`))).map((p) => id(p.name, p.version)));
        for (const v of r.Vulnerabilities ?? []) assert.ok(near.has(id(v.PkgName, v.InstalledVersion)), `${r.Target}: ${id(v.PkgName, v.InstalledVersion)}`);
      }
    });
  }
});
