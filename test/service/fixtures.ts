/**
 * An in-process Scanner for service tests that do not exercise the image pipeline: it returns
 * well-formed Reports, counts calls, and can be told to fail or stall per target.
 */
import type { Report, Vulnerability } from '../../src/model/report.ts';
import type { Scanner } from '../../src/service/worker.ts';

export function vuln(id: string, pkg: string, version: string, severity: Vulnerability['severity'], fixed: string | null): Vulnerability {
  return {
    id, aliases: [], cve_id: id, severity, package_name: pkg, installed_version: version, fixed_version: fixed,
    ecosystem: 'Debian:12', purl: `pkg:deb/debian/${pkg}@${version}?distro=debian-12`, status: fixed ? 'fixed' : 'affected',
    title: `${id} in ${pkg}`, description: `test advisory ${id}`, references: [],
  };
}

export function report(target: string, digest: string | undefined, vulns: Vulnerability[], snapshot: string): Report {
  const count = (s: string) => vulns.filter((v) => v.severity === s).length;
  return {
    schema_version: 1, tool: { name: 'portwarden', version: 'test' }, created_at: new Date().toISOString(), target,
    ...(digest ? { digest } : {}),
    artifact: { kind: 'registry', reference: target },
    os: { family: 'debian', version: '12', name: 'Debian GNU/Linux 12 (bookworm)' },
    packages: [{ name: 'openssl', version: '3.0.11-1~deb12u1', ecosystem: 'Debian:12', type: 'deb', purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u1', locations: [{ layer: 'sha256:00', path: 'var/lib/dpkg/status' }] }],
    vulnerabilities: vulns,
    secrets: [],
    summary: { critical: count('CRITICAL'), high: count('HIGH'), medium: count('MEDIUM'), low: count('LOW'), unknown: count('UNKNOWN'), total: vulns.length },
    db: { snapshot },
    warnings: [],
  };
}

export class FakeScanner implements Scanner {
  scans = 0;
  rematches = 0;
  snapshot = 'snap-1';
  /** Analyzer fingerprint recorded in reports; change it to simulate upgraded analyzers. */
  analyzers = 'analyzers-1';
  /** target → digest; missing = not a registry target. */
  digests = new Map<string, string>();
  /** target → error message to throw from scanTarget. */
  failures = new Map<string, string>();
  delayMs = 0;
  vulns: Vulnerability[] = [vuln('CVE-2024-0727', 'openssl', '3.0.11-1~deb12u1', 'MEDIUM', '3.0.13-1~deb12u1'), vuln('CVE-2023-5678', 'openssl', '3.0.11-1~deb12u1', 'LOW', null)];

  async scanTarget(target: string, opts?: { signal?: AbortSignal }): Promise<Report> {
    this.scans++;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    opts?.signal?.throwIfAborted();
    const failure = this.failures.get(target);
    if (failure) throw new Error(failure);
    const r = report(target, this.digests.get(target), this.vulns, this.snapshot);
    r.tool.analyzers = this.analyzers;
    return r;
  }

  async resolveTargetDigest(target: string): Promise<string | undefined> {
    const failure = this.failures.get(target);
    if (failure) throw new Error(failure);
    return this.digests.get(target);
  }

  rematchReport(r: Report): Report {
    this.rematches++;
    const vulns = [...this.vulns];
    return { ...r, vulnerabilities: vulns, summary: report(r.target, r.digest, vulns, this.snapshot).summary, db: { snapshot: this.snapshot } };
  }

  advisorySnapshot(): string | undefined {
    return this.snapshot;
  }

  inventoryFingerprint(): string {
    return this.analyzers;
  }
}
