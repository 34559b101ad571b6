import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { openAdvisoryIndex, matchPackages } from '../../src/matcher/index.ts';
import type { AdvisoryIndex } from '../../src/matcher/index.ts';
import type { Package } from '../../src/model/inventory.ts';
import type { Vulnerability } from '../../src/model/report.ts';
import { SEVERITIES } from '../../src/model/report.ts';
import { importAdvisories } from '../../src/vulndb/import.ts';
import { osvRecord, pkg, tempDir } from '../vulndb/helpers.ts';

const HIGH = [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }];
const CRITICAL = [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }];

/**
 * Findings come out ordered by package name, installed version, severity, id, and otherwise in input
 * order (a stable sort of all findings) — built without sorting every finding, so checked here against
 * that definition on shuffled inventories with repeated packages, one name in two ecosystems, and ties.
 */
describe('finding order', () => {
  const tmp = tempDir();
  let index: AdvisoryIndex;
  before(async () => {
    const dir = path.join(tmp.dir, 'in');
    mkdirSync(dir);
    const records = [
      osvRecord('GHSA-aaaa-0001', 'npm', 'left-pad', [{ introduced: '0' }, { fixed: '2.0.0' }], { aliases: ['CVE-2024-0001'], severity: HIGH }),
      osvRecord('GHSA-aaaa-0002', 'npm', 'left-pad', [{ introduced: '0' }], { aliases: ['CVE-2024-0002'], severity: CRITICAL }),
      osvRecord('GHSA-aaaa-0003', 'npm', 'left-pad', [{ introduced: '1.5.0' }, { fixed: '3.0.0' }], { aliases: ['CVE-2024-0000'], severity: HIGH }),
      osvRecord('GHSA-aaaa-0004', 'npm', 'zeta', [{ introduced: '0' }], {}),
      // Names that are prefixes of one another, and one past 'left-pad' in code-unit order.
      osvRecord('GHSA-aaaa-0005', 'npm', 'left', [{ introduced: '0' }], { aliases: ['CVE-2024-0005'] }),
      osvRecord('GHSA-aaaa-0006', 'npm', 'left-pad-x', [{ introduced: '0' }], { aliases: ['CVE-2024-0006'] }),
      osvRecord('GHSA-aaaa-0007', 'npm', 'lefu', [{ introduced: '0' }], { aliases: ['CVE-2024-0007'] }),
      osvRecord('PYSEC-2024-1', 'PyPI', 'left-pad', [{ introduced: '0' }], { aliases: ['CVE-2024-0001'], severity: HIGH }),
      osvRecord('PYSEC-2024-2', 'PyPI', 'left-pad', [{ introduced: '0' }], { aliases: ['CVE-2024-0003'] }),
    ];
    records.forEach((r, i) => writeFileSync(path.join(dir, `${i}.json`), JSON.stringify(r)));
    await importAdvisories([dir], { dbPath: path.join(tmp.dir, 'a.db'), replace: true });
    index = openAdvisoryIndex(path.join(tmp.dir, 'a.db'));
  });
  after(() => {
    index?.close();
    tmp.cleanup();
  });

  const pool: Omit<Package, 'locations'>[] = [
    pkg({ name: 'left-pad', version: '1.0.0', ecosystem: 'npm' }),
    pkg({ name: 'left-pad', version: '1.6.0', ecosystem: 'npm' }),
    pkg({ name: 'left-pad', version: '1.0.0', ecosystem: 'PyPI', type: 'python' }),
    pkg({ name: 'zeta', version: '1.0.0', ecosystem: 'npm' }),
    pkg({ name: 'clean', version: '1.0.0', ecosystem: 'npm' }),
    pkg({ name: 'left', version: '1.0.0', ecosystem: 'npm' }),
    pkg({ name: 'left-pad-x', version: '1.0.0', ecosystem: 'npm' }),
    pkg({ name: 'lefu', version: '1.0.0', ecosystem: 'npm' }),
    // Versions that are prefixes of one another.
    pkg({ name: 'left', version: '1.0', ecosystem: 'npm' }),
    pkg({ name: 'left', version: '1.0.0-rc.1', ecosystem: 'npm' }),
  ];
  const severityRank = new Map(SEVERITIES.map((s, i) => [s, i]));
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  const inputIndex = (v: Vulnerability) => Number(v.path?.slice('/layer'.length));
  const byDefinition = (a: Vulnerability, b: Vulnerability) =>
    cmp(a.package_name, b.package_name) ||
    cmp(a.installed_version, b.installed_version) ||
    (severityRank.get(a.severity) ?? 9) - (severityRank.get(b.severity) ?? 9) ||
    cmp(a.id, b.id) ||
    inputIndex(a) - inputIndex(b);

  test('equals a stable sort by name, version, severity, id of every finding', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(pool.length - 1), { minLength: 1, maxLength: 40 }), (picks) => {
        const packages = picks.map((p, i) => ({ ...(pool[p] as Omit<Package, 'locations'>), locations: [{ layer: '', path: `/layer${i}` }] }));
        const found = matchPackages(packages, undefined, index).vulnerabilities;
        assert.deepEqual(found.map((v) => `${v.package_name}@${v.installed_version} ${v.severity} ${v.id} ${v.path}`), [...found].sort(byDefinition).map((v) => `${v.package_name}@${v.installed_version} ${v.severity} ${v.id} ${v.path}`));
      }),
      { numRuns: 200 },
    );
  });

  test('the fixture has the ties this is about', () => {
    const packages = [0, 2, 0].map((p, i) => ({ ...(pool[p] as Omit<Package, 'locations'>), locations: [{ layer: '', path: `/layer${i}` }] }));
    const found = matchPackages(packages, undefined, index).vulnerabilities.map((v) => `${v.ecosystem} ${v.severity} ${v.id} ${v.path}`);
    assert.deepEqual(found, [
      'npm CRITICAL CVE-2024-0002 /layer0',
      'npm CRITICAL CVE-2024-0002 /layer2',
      'npm HIGH CVE-2024-0001 /layer0',
      'PyPI HIGH CVE-2024-0001 /layer1',
      'npm HIGH CVE-2024-0001 /layer2',
      'PyPI UNKNOWN CVE-2024-0003 /layer1',
    ]);
  });
});
