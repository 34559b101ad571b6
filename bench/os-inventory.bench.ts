/**
 * OS package inventory throughput: dpkg status + info lists (this host's real Debian database and a
 * synthetic 20k-package status), rpmdb in all three formats (staged fixtures), and buildInventory.
 * Run: npm run bench -- os-inventory
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDpkgStatus, dpkgAnalyzer, type DpkgFragment } from '../src/analyzers/os/dpkg.ts';
import { parseRpmDb } from '../src/analyzers/os/rpm/index.ts';
import { buildInventory } from '../src/analyzers/inventory.ts';
import type { Fragment } from '../src/analyzers/types.ts';
import { machineLine, perSecond, repeatFor, resultLine } from './lib.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const shared = process.env.PORTWARDEN_SHARED_DATA ?? path.resolve(here, '../../shared/data');

function bench(label: string, fn: () => number): void {
  const t = repeatFor(fn);
  console.log(resultLine(label, t, `${perSecond(t.value, t.wallMs).padStart(12)} pkgs/s  (${t.value} pkgs, ${t.runs} runs)`, 58));
}

console.log(machineLine());

const hostStatus = '/var/lib/dpkg/status';
if (existsSync(hostStatus)) {
  const status = readFileSync(hostStatus);
  bench(`dpkg status, host (${(status.length / 1024).toFixed(0)} KiB)`, () => parseDpkgStatus(status, 'status').packages.length);

  const infoDir = '/var/lib/dpkg/info';
  const lists = readdirSync(infoDir).filter((f) => f.endsWith('.list')).map((f) => [`var/lib/dpkg/info/${f}`, readFileSync(path.join(infoDir, f))] as const);
  const listBytes = lists.reduce((n, [, b]) => n + b.length, 0);
  bench(`dpkg analyze+finalize+buildInventory, host (${lists.length} lists, ${(listBytes / 1048576).toFixed(1)} MiB)`, () => {
    const frags: Fragment<DpkgFragment>[] = [];
    const push = (p: string, content: Buffer): void => {
      const v = dpkgAnalyzer.analyze({ path: p, content, meta: { path: p, type: 'file', size: content.length, mode: 0o644, layerIndex: 0, layerDigest: 'sha256:x' } }) as DpkgFragment | undefined;
      if (v) frags.push({ path: p, layerIndex: 0, layerDigest: 'sha256:x', value: v });
    };
    push('var/lib/dpkg/status', status);
    for (const [p, b] of lists) push(p, b);
    const inv = buildInventory([dpkgAnalyzer.finalize(frags), { os: { family: 'debian', version: '12', name: 'Debian 12', ecosystem: 'Debian:12' } }]);
    return inv.packages.length;
  });

  const stanzas = status.toString('utf8').split(/\n\n+/).filter((s) => s.includes('Package:'));
  const big: string[] = [];
  for (let i = 0; big.length < 20_000; i++) big.push((stanzas[i % stanzas.length] ?? '').replace(/^Package: (.*)$/m, `Package: $1-${i}`));
  const bigBuf = Buffer.from(big.join('\n\n'));
  bench(`dpkg status, synthetic 20k stanzas (${(bigBuf.length / 1048576).toFixed(1)} MiB)`, () => parseDpkgStatus(bigBuf, 'status').packages.length);
  if (global.gc) global.gc();
  const before = process.memoryUsage().heapUsed;
  const r = parseDpkgStatus(bigBuf, 'status');
  if (global.gc) global.gc();
  console.log(`  heap retained by 20k parsed records: ${((process.memoryUsage().heapUsed - before) / 1048576).toFixed(1)} MiB (${r.packages.length} pkgs)`);
}

const rpmCases: Array<[string, string]> = [
  ['go-rpmdb-cbl-mariner2-sqlite', 'rpmdb.sqlite'],
  ['go-rpmdb-sle15-bci-ndb', 'Packages.db'],
  ['go-rpmdb-libuuid-bdb', 'Packages'],
];
for (const [c, f] of rpmCases) {
  const p = path.join(shared, 'pkgdb-fixtures/rpm', c, 'input/var/lib/rpm', f);
  if (!existsSync(p)) continue;
  const buf = readFileSync(p);
  bench(`rpmdb ${c} (${(buf.length / 1024).toFixed(0)} KiB)`, () => parseRpmDb(buf, f).packages.length);
}
