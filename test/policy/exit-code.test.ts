import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyIgnoreRules, parseIgnoreFile } from '../../src/policy/ignorefile.ts';
import { applyVex, parseOpenVex } from '../../src/policy/vex.ts';
import { postProcess } from '../../src/scan/postprocess.ts';
import { renderReport } from '../../src/report/index.ts';
import { sampleReport } from './fixture.ts';

test('findings suppressed by ignore file and VEX stay listed but no longer fail the gate', () => {
  const ignored = applyIgnoreRules(sampleReport(), parseIgnoreFile('- id: CVE-2023-1\n  reason: r\n- id: CVE-2024-9\n  reason: r\n', 'i.yaml'), new Date('2026-01-01T00:00:00Z'));
  assert.equal(postProcess(ignored, {}).failing, true, 'CVE-2023-2 still open');
  const vex = parseOpenVex(JSON.stringify({ statements: [{ vulnerability: { name: 'CVE-2023-2' }, products: [{ '@id': 'pkg:deb/debian/openssl' }, { '@id': 'pkg:deb/debian/libssl3' }], status: 'not_affected', justification: 'vulnerable_code_not_present' }] }), 'v.json');
  const all = applyVex(ignored, vex);
  const { report, failing } = postProcess(all, {});
  assert.equal(failing, false);
  assert.equal(report.summary.total, 0);
  assert.equal(report.vulnerabilities.length, 4);
  assert.match(renderReport(report, 'table'), /Suppressed \(4, not counted in the total\)/);
});
