/**
 * Property: whatever strings an image or an advisory feed puts into a report (package names,
 * versions, paths, licences, advisory ids, references, dates), the CycloneDX and SARIF documents
 * validate against the official schemas and the SPDX document follows the SPDX 2.3 rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Package } from '../../src/model/inventory.ts';
import type { Report, Severity, Vulnerability } from '../../src/model/report.ts';
import { SEVERITIES } from '../../src/model/report.ts';
import { renderReport } from '../../src/report/index.ts';
import { summarize } from '../../src/report/summary.ts';
import { checkSpdx23, cycloneDxViolations, sarifViolations } from './schemas.ts';

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ maxLength: 20, unit: 'grapheme' }), fc.string({ maxLength: 10, unit: 'binary' }), fc.constantFrom('', ' ', 'a b', '%', '#x', 'C:\\x', 'a:b/c', '[x]'));
const license = fc.oneof(
  fc.constantFrom('MIT', 'mit', 'Apache-2.0', 'GPL-2', 'GPL-2+', 'GPL-2.0-or-later', 'MIT OR Apache-2.0', '(MIT AND BSD-3-Clause)', 'LicenseRef-x', 'GPL-2.0+', 'public-domain', 'Expat', 'BSD', 'LGPL-2.1 WITH Classpath-exception-2.0'),
  text,
);
const severity = fc.constantFrom<Severity>(...SEVERITIES);
const date = fc.oneof(fc.constantFrom('2024-01-02T03:04:05Z', '2024-01-02T03:04:05.123456Z', '2024-01-02', 'yesterday', ''), text);
const LAYER = `sha256:${'ab'.repeat(32)}`;

/** Analyzers and SBOM readers never produce a package or a target without a name. */
const name = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom('a b', '%', '#x', 'C:\\x', '@scope/pkg', 'github.com/a/b'));

const packageArb = fc.record({
  name, version: text, purl: fc.oneof(fc.constant(''), fc.constantFrom('pkg:npm/a@1', 'pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12'), text),
  ecosystem: fc.constantFrom('npm', 'Debian:12', 'PyPI', ''), path: text, licenses: fc.array(license, { maxLength: 4 }), source: fc.option(fc.record({ name: text, version: text }), { nil: undefined }),
});

const vulnArb = fc.record({
  id: name, aliases: fc.array(text, { maxLength: 3 }), severity, title: text, description: text, references: fc.array(fc.oneof(fc.webUrl(), text), { maxLength: 3 }),
  fixed: fc.option(text, { nil: null }), published: fc.option(date, { nil: undefined }), modified: fc.option(date, { nil: undefined }),
  cvss: fc.array(fc.record({ version: fc.constantFrom('2.0', '3.0', '3.1', '4.0'), vector: text, score: fc.double({ min: 0, max: 10, noNaN: true }), severity, source: fc.option(text, { nil: undefined }) }), { maxLength: 2 }),
  suppressed: fc.option(fc.record({ by: fc.constantFrom('vex', 'ignorefile'), reason: fc.oneof(text, fc.constantFrom('fixed', 'not_affected: component_not_present')) }), { nil: undefined }),
  pkgIndex: fc.nat(),
});

const secretArb = fc.record({ rule_id: text, category: text, severity, title: text, path: text, line: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }), match: text });

const reportArb = fc.record({
  target: name, reference: text, digest: fc.option(fc.constant(`sha256:${'cd'.repeat(32)}`), { nil: undefined }),
  packages: fc.array(packageArb, { minLength: 1, maxLength: 5 }), vulns: fc.array(vulnArb, { maxLength: 5 }), secrets: fc.array(secretArb, { maxLength: 3 }),
  os: fc.option(fc.record({ version: text, name: text, codename: fc.option(text, { nil: undefined }) }), { nil: undefined }),
}).map((r): Report => {
  const packages: Package[] = r.packages.map((p) => ({
    name: p.name, version: p.version, ecosystem: p.ecosystem, type: 'npm', purl: p.purl, locations: [{ layer: LAYER, path: p.path }],
    ...(p.licenses.length ? { licenses: p.licenses } : {}), ...(p.source ? { source: p.source } : {}),
  }));
  const vulnerabilities: Vulnerability[] = r.vulns.map((v) => {
    const p = packages[v.pkgIndex % packages.length] as Package;
    return {
      id: v.id, aliases: v.aliases, cve_id: v.id, severity: v.severity, package_name: p.name, installed_version: p.version, fixed_version: v.fixed,
      ecosystem: p.ecosystem, purl: p.purl, status: v.fixed === null ? 'affected' : 'fixed', title: v.title, description: v.description, references: v.references,
      layer: LAYER, path: p.locations[0]?.path ?? '', cvss: v.cvss.map((c) => ({ ...c, version: c.version as '2.0' | '3.0' | '3.1' | '4.0' })),
      ...(v.published !== undefined ? { published: v.published } : {}), ...(v.modified !== undefined ? { modified: v.modified } : {}),
      ...(v.suppressed ? { suppressed: v.suppressed } : {}),
    };
  });
  return {
    schema_version: 1, tool: { name: 'portwarden', version: '0.1.0' }, created_at: '2026-11-23T10:00:00.123Z', target: r.target,
    ...(r.digest ? { digest: r.digest } : {}), artifact: { kind: 'dir', reference: r.reference },
    ...(r.os ? { os: { family: 'debian' as const, version: r.os.version, name: r.os.name, ...(r.os.codename !== undefined ? { codename: r.os.codename } : {}), ecosystem: 'Debian:12' } } : {}),
    packages, vulnerabilities, secrets: r.secrets.map((s) => ({ ...s, layer: LAYER })), summary: summarize(vulnerabilities), warnings: [],
  };
});

test('fuzz: CycloneDX and SARIF validate against the official schemas, SPDX follows the 2.3 rules, for any report content', () => {
  fc.assert(fc.property(reportArb, (report) => {
    assert.deepEqual(cycloneDxViolations(JSON.parse(renderReport(report, 'cyclonedx-json'))), [], 'cyclonedx');
    assert.deepEqual(sarifViolations(JSON.parse(renderReport(report, 'sarif'))), [], 'sarif');
    assert.deepEqual(checkSpdx23(JSON.parse(renderReport(report, 'spdx-json'))), [], 'spdx');
  }), { numRuns: 300 });
});

test('the validators reject documents that break the schemas', () => {
  const report = fc.sample(reportArb, { numRuns: 1, seed: 7 })[0] as Report;
  const cdx = JSON.parse(renderReport(report, 'cyclonedx-json')) as Record<string, unknown>;
  cdx.bomFormat = 'SPDX';
  assert.notDeepEqual(cycloneDxViolations(cdx), []);
  const sarif = JSON.parse(renderReport(report, 'sarif')) as { runs: { tool: { driver: Record<string, unknown> } }[] };
  delete sarif.runs[0]?.tool.driver.name;
  assert.notDeepEqual(sarifViolations(sarif), []);
  const spdx = JSON.parse(renderReport(report, 'spdx-json')) as { packages: Record<string, unknown>[] };
  if (spdx.packages[0]) spdx.packages[0].licenseDeclared = 'GPL-2+';
  assert.notDeepEqual(checkSpdx23(spdx), []);
});
