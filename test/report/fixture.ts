import type { Package } from '../../src/model/inventory.ts';
import type { Report, Vulnerability } from '../../src/model/report.ts';
import { summarize } from '../../src/report/summary.ts';

const LAYER = `sha256:${'1f'.repeat(32)}`;

export function debPackage(name: string, version: string, source?: { name: string; version: string }): Package {
  return {
    name, version, ecosystem: 'Debian:12', type: 'deb', arch: 'amd64',
    purl: `pkg:deb/debian/${name}@${encodeURIComponent(version)}?arch=amd64&distro=debian-12${source ? `&upstream=${encodeURIComponent(`${source.name}@${source.version}`)}` : ''}`,
    ...(source ? { source } : {}),
    locations: [{ layer: LAYER, path: 'var/lib/dpkg/status' }],
    licenses: ['GPL-2.0-or-later'],
  };
}

export function richReport(): Report {
  const packages: Package[] = [
    debPackage('libssl3', '3.0.11-1~deb12u2', { name: 'openssl', version: '3.0.11-1~deb12u2' }),
    debPackage('bash', '5.2.15-2+b2', { name: 'bash', version: '5.2.15-2' }),
    { name: 'lodash', version: '4.17.20', ecosystem: 'npm', type: 'npm', purl: 'pkg:npm/lodash@4.17.20', locations: [{ layer: LAYER, path: 'app/node_modules/lodash/package.json' }], licenses: ['MIT'] },
    { name: 'Django', version: '4.2.0', ecosystem: 'PyPI', type: 'python', purl: 'pkg:pypi/django@4.2.0', locations: [{ layer: LAYER, path: 'usr/lib/python3/dist-packages/Django-4.2.0.dist-info/METADATA' }] },
  ];
  const base = (p: Package): Pick<Vulnerability, 'package_name' | 'installed_version' | 'ecosystem' | 'purl' | 'layer' | 'path'> => ({
    package_name: p.name, installed_version: p.version, ecosystem: p.ecosystem, purl: p.purl, layer: LAYER, path: p.locations[0]?.path ?? '',
  });
  const [ssl, bash, lodash, django] = packages as [Package, Package, Package, Package];
  const vulnerabilities: Vulnerability[] = [
    { id: 'CVE-2024-0727', aliases: ['DSA-5678-1'], cve_id: 'CVE-2024-0727', severity: 'MEDIUM', severity_source: 'cvss-v3.1:nvd',
      cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', score: 5.5, severity: 'MEDIUM', source: 'nvd' }],
      ...base(ssl), fixed_version: '3.0.13-1~deb12u1', status: 'fixed', title: 'openssl: denial of service via null dereference in PKCS12 parsing with a very long title that must be truncated properly in the table output',
      description: 'Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash.', references: ['https://security-tracker.debian.org/tracker/CVE-2024-0727'] },
    { id: 'CVE-2022-3715', aliases: [], cve_id: 'CVE-2022-3715', severity: 'HIGH', cvss: [{ version: '4.0', vector: 'CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', score: 8.5, severity: 'HIGH' }],
      ...base(bash), fixed_version: null, status: 'will_not_fix', title: 'bash: heap-buffer-overflow in valid_parameter_transform', description: 'A flaw in bash.', references: [] },
    { id: 'CVE-2021-23337', aliases: ['GHSA-35jh-r3h4-6jhm'], cve_id: 'CVE-2021-23337', severity: 'HIGH', ...base(lodash), fixed_version: '4.17.21', status: 'fixed',
      title: 'Command Injection in lodash', description: 'template function', references: ['https://github.com/advisories/GHSA-35jh-r3h4-6jhm'],
      suppressed: { by: 'vex', reason: 'not_affected: vulnerable_code_not_in_execute_path', source: 'app.vex.json' } },
    { id: 'CVE-2023-31047', aliases: ['GHSA-r3xc-prgr-mg9p'], cve_id: 'CVE-2023-31047', severity: 'CRITICAL', ...base(django), fixed_version: '4.2.1', status: 'fixed',
      title: 'Django bypass of validation when using one form field to upload multiple files', description: 'x', references: [] },
    { id: 'CVE-2024-9999', aliases: [], cve_id: 'CVE-2024-9999', severity: 'UNKNOWN', ...base(django), fixed_version: null, status: 'affected', title: 'unrated\u001b[31m', description: '', references: [] },
  ];
  return {
    schema_version: 1,
    tool: { name: 'portwarden', version: '0.1.0' },
    created_at: '2026-11-23T10:00:00Z',
    target: 'image:registry.example/team/app:1.2',
    digest: `sha256:${'ab'.repeat(32)}`,
    artifact: { kind: 'image', reference: 'registry.example/team/app:1.2' },
    os: { family: 'debian', version: '12', name: 'Debian GNU/Linux 12 (bookworm)', codename: 'bookworm', ecosystem: 'Debian:12' },
    packages,
    vulnerabilities,
    secrets: [{ rule_id: 'aws-access-key-id', category: 'AWS', severity: 'CRITICAL', title: 'AWS Access Key ID', path: 'app/config/settings-with-a-rather-long-directory-name/production/credentials.env', line: 3, match: 'AKIA*****', layer: LAYER }],
    summary: summarize(vulnerabilities),
    db: { snapshot: '2026-11-22T00:00:00Z' },
    warnings: [],
  };
}
