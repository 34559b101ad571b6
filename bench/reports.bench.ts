/**
 * Report rendering and SBOM reading (`npm run bench -- reports`): a synthetic report the size of a
 * large image (5,000 packages, 20,000 findings, 10% suppressed), each format rendered, then the
 * CycloneDX and SPDX outputs read back. Best of 5, wall and CPU time on one core, plus output size.
 */
import type { Package } from '../src/model/inventory.ts';
import type { Report, Severity, Vulnerability } from '../src/model/report.ts';
import { REPORT_FORMATS, renderReport, summarize } from '../src/report/index.ts';
import { readSbom } from '../src/sbom/read.ts';
import { bestOf, machineLine } from './lib.ts';

const severities: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];
const packages: Package[] = [];
for (let i = 0; i < 5000; i++) {
  const deb = i % 2 === 0;
  packages.push({
    name: `pkg${i}`, version: `1.${i}.0-1`, ecosystem: deb ? 'Debian:12' : 'npm', type: deb ? 'deb' : 'npm',
    purl: deb ? `pkg:deb/debian/pkg${i}@1.${i}.0-1?arch=amd64&distro=debian-12` : `pkg:npm/pkg${i}@1.${i}.0-1`,
    ...(deb ? { source: { name: `src${i >> 2}`, version: `1.${i}.0-1` } } : {}),
    locations: [{ layer: `sha256:${'a'.repeat(64)}`, path: deb ? 'var/lib/dpkg/status' : `app/node_modules/pkg${i}/package.json` }],
  });
}
const vulnerabilities: Vulnerability[] = [];
for (let i = 0; i < 20000; i++) {
  const p = packages[i % packages.length] as Package;
  const severity = severities[i % 5] as Severity;
  vulnerabilities.push({
    id: `CVE-2024-${10000 + (i % 7000)}`, aliases: [], cve_id: `CVE-2024-${10000 + (i % 7000)}`, severity,
    cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, severity }],
    package_name: p.name, installed_version: p.version, fixed_version: i % 3 === 0 ? null : '9.9', ecosystem: p.ecosystem, purl: p.purl,
    status: i % 3 === 0 ? 'affected' : 'fixed', title: `Title of finding ${i} with some descriptive words`, description: 'x'.repeat(300), references: ['https://example.com/a'],
    path: p.locations[0]?.path ?? '',
    ...(i % 10 === 0 ? { suppressed: { by: 'vex' as const, reason: 'not_affected: vulnerable_code_not_present', source: 'v.json' } } : {}),
  });
}
const report: Report = {
  schema_version: 1, tool: { name: 'portwarden', version: 'bench' }, created_at: '2026-11-23T00:00:00Z',
  target: 'image:example/app:1', digest: `sha256:${'b'.repeat(64)}`, artifact: { kind: 'image', reference: 'example/app:1' },
  os: { family: 'debian', version: '12', name: 'Debian GNU/Linux 12 (bookworm)', ecosystem: 'Debian:12' },
  packages, vulnerabilities, secrets: [], summary: summarize(vulnerabilities), warnings: [],
};

console.log(machineLine());
console.log('| step | best of 5 (ms) | CPU (ms) | output |');
console.log('|---|---:|---:|---:|');
const outputs = new Map<string, string>();
for (const format of REPORT_FORMATS) {
  const { wallMs, cpuMs, value } = bestOf(() => renderReport(report, format));
  outputs.set(format, value);
  console.log(`| render ${format} | ${wallMs.toFixed(0)} | ${cpuMs.toFixed(0)} | ${(value.length / 1e6).toFixed(1)} MB |`);
}
for (const format of ['cyclonedx-json', 'spdx-json'] as const) {
  const text = outputs.get(format) ?? '';
  const { wallMs, cpuMs, value } = bestOf(() => readSbom(text, format));
  console.log(`| readSbom ${format} | ${wallMs.toFixed(0)} | ${cpuMs.toFixed(0)} | ${value.packages.length} packages |`);
}
