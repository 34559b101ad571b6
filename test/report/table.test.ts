import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { renderReport } from '../../src/report/index.ts';
import { displayWidth } from '../../src/report/table.ts';
import { richReport } from './fixture.ts';

const ANSI = /\u001b\[[0-9;]*m/g;

test('table: header, grouped findings, summary line, suppressed section and secrets', () => {
  const text = renderReport(richReport(), 'table');
  assert.match(text, /^Target: image:registry\.example\/team\/app:1\.2$/m);
  assert.match(text, /^Digest: sha256:abab/m);
  assert.match(text, /^OS: Debian GNU\/Linux 12 \(bookworm\)$/m);
  assert.match(text, /^Total: 4 \(CRITICAL: 1, HIGH: 1, MEDIUM: 1, LOW: 0, UNKNOWN: 1\)$/m);
  assert.match(text, /^libssl3 3\.0\.11-1~deb12u2 \(Debian:12\)$/m);
  assert.match(text, /^ {2}CVE-2024-0727 +MEDIUM +fixed +3\.0\.13-1~deb12u1 +openssl: denial/m);
  const suppressedAt = text.indexOf('Suppressed (1, not counted in the total):');
  assert.ok(suppressedAt > 0);
  assert.ok(text.indexOf('CVE-2021-23337') > suppressedAt, 'suppressed finding listed in its own section');
  assert.match(text, /suppressed \(vex\): not_affected/);
  assert.match(text, /aws-access-key-id/);
  assert.doesNotMatch(text, ANSI, 'no colour unless asked');
  assert.ok(!text.includes('\u001b'), 'control characters from advisory text are stripped');
});

test('table: colour only when requested, and never changes the visible width', () => {
  const plain = renderReport(richReport(), 'table');
  const colored = renderReport(richReport(), 'table', { color: true });
  assert.match(colored, ANSI);
  assert.equal(colored.replace(ANSI, ''), plain);
});

test('table: no line exceeds the width, for any width and any text', () => {
  fc.assert(
    fc.property(fc.integer({ min: 60, max: 200 }), fc.string({ maxLength: 300, unit: 'binary' }), fc.string({ maxLength: 60, unit: 'binary' }), (width, title, name) => {
      const report = richReport();
      const first = report.vulnerabilities[0];
      if (first) { first.title = title; first.package_name = name; first.id = name; first.fixed_version = title; }
      const text = renderReport(report, 'table', { width, color: true });
      for (const line of text.replace(ANSI, '').split('\n')) assert.ok(displayWidth(line) <= width, `line longer than ${width}: ${line}`);
    }),
    { numRuns: 150 },
  );
});

test('table: empty report says so', () => {
  const report = { ...richReport(), vulnerabilities: [], secrets: [] };
  assert.match(renderReport(report, 'table'), /No vulnerabilities found\./);
});

test('table: wide characters count as two columns', () => {
  assert.equal(displayWidth('漏洞a'), 5);
  const report = richReport();
  const first = report.vulnerabilities[0];
  if (first) first.title = '漏洞'.repeat(80);
  for (const line of renderReport(report, 'table', { width: 80 }).split('\n')) assert.ok(displayWidth(line) <= 80, line);
});
