/**
 * Advisory index benchmark: import of every staged OSV/distro record, import of a synthetic
 * 500,000-record OSV set on top, and matching 10,000 packages against the result.
 * Run: `npm run bench -- vulndb` (PORTWARDEN_BENCH_RECORDS overrides the synthetic count).
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { importAdvisories } from '../src/vulndb/import.ts';
import { openAdvisoryIndex, matchPackages } from '../src/matcher/index.ts';
import type { Package } from '../src/model/inventory.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const shared = process.env.PORTWARDEN_SHARED_DATA ?? path.resolve(here, '../../shared/data');
const SYNTHETIC = Number(process.env.PORTWARDEN_BENCH_RECORDS ?? 500_000);
const ECOSYSTEMS = ['npm', 'PyPI', 'Go', 'Maven', 'crates.io', 'Debian:12'] as const;
const PER_PACKAGE = 5;

const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-bench-vulndb-'));
const dbPath = path.join(dir, 'advisories.db');
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

function syntheticVersion(eco: string, i: number, step: number): string {
  if (eco === 'Debian:12') return `${1 + (i % 7)}.${step}-${1 + (i % 3)}+deb12u${step}`;
  return `${1 + (i % 7)}.${step}.${i % 10}`;
}

function syntheticName(eco: string, pkg: number): string {
  return eco === 'Go' ? `example.com/synth/mod${pkg}` : eco === 'Maven' ? `org.synth:artifact${pkg}` : `synth-pkg-${pkg}`;
}

async function writeSynthetic(file: string, count: number): Promise<void> {
  const out = createWriteStream(file);
  for (let i = 0; i < count; i++) {
    const pkgNo = Math.floor(i / PER_PACKAGE);
    const eco = ECOSYSTEMS[pkgNo % ECOSYSTEMS.length] as string;
    const step = i % PER_PACKAGE;
    const record = {
      schema_version: '1.6.0',
      id: `SYNTH-${i}`,
      modified: '2024-01-01T00:00:00Z',
      aliases: [`CVE-2099-${String(100000 + i)}`],
      summary: `synthetic advisory ${i}`,
      details: 'A synthetic advisory used to measure import and lookup cost.',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }],
      affected: [{
        package: { ecosystem: eco, name: syntheticName(eco, pkgNo) },
        ranges: [{ type: eco === 'Go' || eco === 'crates.io' ? 'SEMVER' : 'ECOSYSTEM', events: [{ introduced: step === 0 ? '0' : syntheticVersion(eco, pkgNo, step) }, { fixed: syntheticVersion(eco, pkgNo, step + 1) }] }],
      }],
      references: [{ type: 'WEB', url: `https://example.invalid/advisory/${i}` }],
    };
    if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function inventory(n: number): Package[] {
  const pkgs: Package[] = [];
  const real: [string, string, string][] = [
    ['Go', 'stdlib', 'go1.19.5'], ['Go', 'golang.org/x/net', 'v0.0.0-20210226172049-e18ecbb05110'], ['Go', 'golang.org/x/text', 'v0.3.6'],
    ['PyPI', 'django', '2.2.0'], ['PyPI', 'werkzeug', '0.11'], ['PyPI', 'jinja2', '2.10'], ['crates.io', 'tokio', '0.2.0'], ['npm', 'lodash', '4.17.4'],
  ];
  for (let i = 0; i < n; i++) {
    if (i % 10 === 0) {
      const [ecosystem, name, version] = real[(i / 10) % real.length] as [string, string, string];
      pkgs.push({ name, version, ecosystem, type: 'npm', purl: '', locations: [] });
      continue;
    }
    const pkgNo = (i * 7919) % Math.max(1, Math.floor(SYNTHETIC / PER_PACKAGE));
    const eco = ECOSYSTEMS[pkgNo % ECOSYSTEMS.length] as string;
    // Half the packages get a name no advisory mentions: real inventories are mostly clean.
    const name = i % 2 ? syntheticName(eco, pkgNo) : `clean-${i}`;
    const version = syntheticVersion(eco, pkgNo, 2);
    pkgs.push({
      name, version, ecosystem: eco, type: eco === 'Debian:12' ? 'deb' : 'npm', purl: '', locations: [],
      ...(eco === 'Debian:12' ? { source: { name, version } } : {}),
    });
  }
  return pkgs;
}

console.log(`load average at start: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (${os.cpus().length} cores)`);
try {
  let t = performance.now();
  const staged = await importAdvisories([path.join(shared, 'osv'), path.join(shared, 'distro')], { dbPath, replace: true });
  console.log(`import staged OSV + distro: ${staged.records} records in ${(performance.now() - t).toFixed(0)} ms; db ${mb(statSync(dbPath).size)}`);

  const synthFile = path.join(dir, 'synthetic.jsonl');
  t = performance.now();
  await writeSynthetic(synthFile, SYNTHETIC);
  console.log(`generate ${SYNTHETIC} synthetic records: ${(performance.now() - t).toFixed(0)} ms (${mb(statSync(synthFile).size)} JSONL)`);
  t = performance.now();
  const merged = await importAdvisories([synthFile], { dbPath });
  console.log(`import synthetic (merge into staged): ${merged.records} records in ${(performance.now() - t).toFixed(0)} ms; db ${mb(statSync(dbPath).size)}; rss ${mb(process.memoryUsage().rss)}`);
  rmSync(synthFile);

  const packages = inventory(10_000);
  for (let round = 1; round <= 3; round++) {
    const index = openAdvisoryIndex(dbPath);
    // CPU time next to wall time: the shared 2-core machine is often loaded by other work.
    let cpu = process.cpuUsage();
    t = performance.now();
    const cold = matchPackages(packages, undefined, index);
    const coldMs = performance.now() - t;
    const coldCpu = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    t = performance.now();
    matchPackages(packages, undefined, index);
    const warmMs = performance.now() - t;
    const warmCpu = process.cpuUsage(cpu);
    const ms = (u: NodeJS.CpuUsage) => ((u.user + u.system) / 1000).toFixed(0);
    console.log(`match 10,000 packages (round ${round}): ${coldMs.toFixed(0)} ms wall / ${ms(coldCpu)} ms CPU on a freshly opened index, ${warmMs.toFixed(0)} ms wall / ${ms(warmCpu)} ms CPU warm; ${cold.vulnerabilities.length} findings`);
    index.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
