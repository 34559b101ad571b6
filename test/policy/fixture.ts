import type { Report, Vulnerability } from '../../src/model/report.ts';
import { summarize } from '../../src/report/summary.ts';

export function vuln(over: Partial<Vulnerability> & Pick<Vulnerability, 'id' | 'package_name' | 'purl'>): Vulnerability {
  return {
    aliases: [],
    cve_id: over.id,
    severity: 'HIGH',
    installed_version: '1.0.0',
    fixed_version: null,
    ecosystem: 'npm',
    status: 'affected',
    title: '',
    description: '',
    references: [],
    ...over,
  };
}

export const DIGEST = `sha256:${'ab'.repeat(32)}`;

export function reportWith(vulnerabilities: Vulnerability[]): Report {
  return {
    schema_version: 1,
    tool: { name: 'portwarden', version: '0.1.0' },
    created_at: '2026-11-23T10:00:00Z',
    target: 'image:registry.example/app:1.2',
    digest: DIGEST,
    artifact: { kind: 'image', reference: 'registry.example/app:1.2' },
    packages: [],
    vulnerabilities,
    secrets: [],
    summary: summarize(vulnerabilities),
    warnings: [],
  };
}

export function sampleReport(): Report {
  return reportWith([
    vuln({ id: 'CVE-2023-1', aliases: ['GHSA-aaaa-bbbb-cccc'], package_name: 'lodash', purl: 'pkg:npm/lodash@4.17.20', severity: 'CRITICAL' }),
    vuln({ id: 'CVE-2023-2', package_name: 'openssl', purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12', ecosystem: 'Debian:12' }),
    vuln({ id: 'CVE-2023-2', package_name: 'libssl3', purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12', ecosystem: 'Debian:12' }),
    vuln({ id: 'GHSA-xxxx-yyyy-zzzz', aliases: ['CVE-2024-9', 'PYSEC-2024-1'], package_name: 'Django', purl: 'pkg:pypi/django@4.2.0', ecosystem: 'PyPI', severity: 'MEDIUM', path: 'usr/lib/python3/dist-packages/Django-4.2.0.dist-info/METADATA' }),
  ]);
}
