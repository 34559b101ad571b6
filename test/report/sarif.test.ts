import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReport } from '../../src/report/index.ts';
import { pathToUriReference } from '../../src/report/sarif.ts';
import { richReport } from './fixture.ts';
import { sarifViolations } from './schemas.ts';

type Json = Record<string, unknown>;

test('sarif: validates against the official SARIF 2.1.0 schema, and the validator rejects broken documents', () => {
  const doc = JSON.parse(renderReport(richReport(), 'sarif')) as Json;
  assert.deepEqual(sarifViolations(doc), []);
  assert.equal(doc.$schema, 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json');
  const broken = structuredClone(doc) as { runs: { results: Json[] }[] };
  const first = broken.runs[0]?.results[0];
  if (first) first.level = 'critical';
  assert.match(sarifViolations(broken).join('\n'), /\/runs\/0\/results\/0\/level must be equal to one of the allowed values/);
});

test('sarif: image paths become relative URI references', () => {
  assert.equal(pathToUriReference('/usr/lib/python3/dist-packages/Foo Bar/METADATA'), 'usr/lib/python3/dist-packages/Foo%20Bar/METADATA');
  assert.equal(pathToUriReference('app/100%/a?b#c'), 'app/100%25/a%3Fb%23c');
  assert.equal(pathToUriReference('localhost:5000/app:1'), './localhost:5000/app:1');
  assert.equal(pathToUriReference('usr/share/doc/café'), 'usr/share/doc/caf%C3%A9');
  assert.equal(pathToUriReference('bad\uD800name'), 'bad%EF%BF%BDname');
});

test('sarif: rules, levels, security-severity, locations, fingerprints, suppressions', () => {
  const doc = JSON.parse(renderReport(richReport(), 'sarif')) as { runs: { tool: { driver: { name: string; rules: Json[] } }; results: Json[] }[] };
  const run = doc.runs[0];
  assert.ok(run);
  assert.equal(run.tool.driver.name, 'portwarden');
  const ruleIds = run.tool.driver.rules.map((r) => r.id);
  assert.deepEqual(ruleIds, ['CVE-2021-23337', 'CVE-2022-3715', 'CVE-2023-31047', 'CVE-2024-0727', 'CVE-2024-9999', 'secret/aws-access-key-id']);
  const byRule = new Map(run.results.map((r) => [r.ruleId, r]));
  assert.equal(byRule.get('CVE-2023-31047')?.level, 'error');
  assert.equal(byRule.get('CVE-2024-0727')?.level, 'warning');
  assert.equal(byRule.get('CVE-2024-9999')?.level, 'note');
  for (const r of run.results) assert.equal(ruleIds[r.ruleIndex as number], r.ruleId);
  const sslRule = run.tool.driver.rules.find((r) => r.id === 'CVE-2024-0727');
  assert.equal((sslRule?.properties as Json)['security-severity'], '5.5');
  assert.equal((run.tool.driver.rules.find((r) => r.id === 'CVE-2022-3715')?.properties as Json)['security-severity'], '8.5', 'CVSS v4 score used');
  const ssl = byRule.get('CVE-2024-0727') as { locations: { physicalLocation: { artifactLocation: { uri: string } } }[]; partialFingerprints: Record<string, string> };
  assert.equal(ssl.locations[0]?.physicalLocation.artifactLocation.uri, 'var/lib/dpkg/status');
  assert.match(ssl.partialFingerprints['portwarden/v1'] ?? '', /^[0-9a-f]{32}$/);
  assert.deepEqual(byRule.get('CVE-2021-23337')?.suppressions, [{ kind: 'external', status: 'accepted', justification: 'vex: not_affected: vulnerable_code_not_in_execute_path' }]);
  assert.equal(byRule.get('CVE-2024-0727')?.suppressions, undefined);
  const secret = byRule.get('secret/aws-access-key-id') as { locations: { physicalLocation: { region: { startLine: number } } }[] };
  assert.equal(secret.locations[0]?.physicalLocation.region.startLine, 3);
});

test('sarif: config-located findings point at the image reference; output is deterministic', () => {
  const report = richReport();
  report.secrets = [{ rule_id: 'generic', category: 'General', severity: 'HIGH', title: 'Secret in env', path: 'config:env', match: 'pass*****' }];
  const doc = JSON.parse(renderReport(report, 'sarif')) as { runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
  const last = doc.runs[0]?.results.at(-1);
  assert.equal(last?.locations[0]?.physicalLocation.artifactLocation.uri, 'registry.example/team/app:1.2');
  assert.equal(renderReport(report, 'sarif'), renderReport(report, 'sarif'));
});
