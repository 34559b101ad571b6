/**
 * Accuracy against the staged third-party corpora: gitleaks' own rule samples (recall and
 * false-positive rate through our gitleaks importer) and trivy's secret-scanner test cases
 * (our built-in rules and trivy-format YAML configs).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseGitleaksConfig, parseSecretConfigYaml, scanText } from '../../src/secrets/index.ts';
import { haveSharedData, sharedData } from '../helpers/shared-data.ts';

interface RuleSamples {
  rules: { rule_id: string; true_positives_literal: string[] | null; false_positives_literal: string[] | null }[];
}

interface TrivyCase {
  name: string;
  input: string;
  trivy_config: string;
  expected_findings: { RuleID: string; Category: string; Severity: string; StartLine: number }[];
}

describe('gitleaks rule samples through the gitleaks importer', () => {
  test('recall >= 0.95 on true positives, <= 5% hits on false positives', (t) => {
    if (!haveSharedData(t, 'secrets', 'gitleaks', 'rule-samples.json')) return;
    const config = parseGitleaksConfig(readFileSync(sharedData('secrets', 'gitleaks', 'gitleaks.toml'), 'utf8'), 'gitleaks.toml');
    assert.deepEqual(config.warnings, [], 'every staged rule translates to JS');
    assert.equal(config.rules.length, 222);
    const samples = JSON.parse(readFileSync(sharedData('secrets', 'gitleaks', 'rule-samples.json'), 'utf8')) as RuleSamples;
    let tp = 0;
    let tpHit = 0;
    let fp = 0;
    let fpHit = 0;
    const misses: string[] = [];
    for (const s of samples.rules) {
      const rule = config.rules.find((r) => r.id === s.rule_id);
      assert.ok(rule, `rule ${s.rule_id} imported`);
      // Upstream semantics: only this rule enabled, plus the global allowlist.
      const only = { rules: [rule], allow: config.allow, excludeBlocks: [] };
      for (const sample of s.true_positives_literal ?? []) {
        tp++;
        const found = scanText(sample, 'sample.txt', only);
        if (found.some((f) => f.rule_id === s.rule_id)) tpHit++;
        else misses.push(`${s.rule_id}: ${sample.slice(0, 60)}`);
      }
      for (const sample of s.false_positives_literal ?? []) {
        fp++;
        if (scanText(sample, 'sample.txt', only).length > 0) {
          fpHit++;
          misses.push(`FP ${s.rule_id}: ${sample.slice(0, 60)}`);
        }
      }
    }
    const recall = tpHit / tp;
    const fpRate = fpHit / fp;
    t.diagnostic(`gitleaks samples: recall ${tpHit}/${tp} = ${recall.toFixed(4)}, false-positive hits ${fpHit}/${fp} = ${fpRate.toFixed(4)}`);
    console.log(`gitleaks samples: recall ${tpHit}/${tp} = ${recall.toFixed(4)}, false-positive hits ${fpHit}/${fp} = ${fpRate.toFixed(4)}`);
    assert.ok(tp >= 250 && fp >= 280, 'the staged sample set is complete');
    assert.ok(recall >= 0.95, `recall ${recall}; misses:\n${misses.join('\n')}`);
    assert.ok(fpRate <= 0.05, `false-positive rate ${fpRate}; hits:\n${misses.join('\n')}`);
  });

  test('a TP sample is not found once its rule is removed (the test can fail)', (t) => {
    if (!haveSharedData(t, 'secrets', 'gitleaks', 'rule-samples.json')) return;
    const config = parseGitleaksConfig(readFileSync(sharedData('secrets', 'gitleaks', 'gitleaks.toml'), 'utf8'));
    const samples = JSON.parse(readFileSync(sharedData('secrets', 'gitleaks', 'rule-samples.json'), 'utf8')) as RuleSamples;
    const s = samples.rules.find((r) => r.rule_id === 'slack-webhook-url');
    const sample = s?.true_positives_literal?.[0];
    assert.ok(sample);
    const only = (keep: (id: string) => boolean): typeof config => ({ ...config, rules: config.rules.filter((r) => keep(r.id)) });
    assert.ok(scanText(sample, 'x.txt', only((id) => id === 'slack-webhook-url')).length > 0);
    assert.equal(scanText(sample, 'x.txt', only((id) => id !== 'slack-webhook-url' && !id.startsWith('generic'))).filter((f) => f.rule_id === 'slack-webhook-url').length, 0);
  });
});

/** trivy's categories are Go constants in the extracted data (`secret.CategoryAWS`). */
const trivyCategory = (c: string): string => c.replace(/^secret\.Category/, '');

describe('trivy secret-scanner corpus with the built-in rules', () => {
  test('every expected finding is found, negatives stay empty, rule/category/severity/line agree', (t) => {
    if (!haveSharedData(t, 'secrets', 'trivy-corpus', 'expected.json')) return;
    const base = sharedData('secrets', 'trivy-corpus');
    const { cases } = JSON.parse(readFileSync(`${base}/expected.json`, 'utf8')) as { cases: TrivyCase[] };
    assert.equal(cases.length, 61);
    let expected = 0;
    let found = 0;
    const problems: string[] = [];
    for (const c of cases) {
      const rules = parseSecretConfigYaml(readFileSync(`${base}/${c.trivy_config}`, 'utf8'), c.trivy_config);
      // trivy's tests scan files as testdata/NAME: keep the path so the `tests` allow rule behaves the same.
      const path = `testdata/${c.input.split('/').pop() ?? ''}`;
      const got = scanText(readFileSync(`${base}/${c.input}`), path, rules);
      for (const e of c.expected_findings) {
        expected++;
        const hit = got.find((g) => g.rule_id === e.RuleID && g.line === e.StartLine);
        if (!hit) {
          problems.push(`${c.name}: missing ${e.RuleID} line ${e.StartLine}`);
          continue;
        }
        found++;
        if (hit.severity !== e.Severity) problems.push(`${c.name}: ${e.RuleID} severity ${hit.severity} != ${e.Severity}`);
        if (hit.category !== trivyCategory(e.Category)) problems.push(`${c.name}: ${e.RuleID} category ${hit.category} != ${trivyCategory(e.Category)}`);
        assert.match(hit.match, /^.{0,4}\*{5}$/, 'redacted');
      }
      // Extra findings are false positives against trivy's expectations.
      for (const g of got) {
        if (!c.expected_findings.some((e) => e.RuleID === g.rule_id && e.StartLine === g.line)) problems.push(`${c.name}: unexpected ${g.rule_id} line ${g.line ?? '-'}`);
      }
    }
    console.log(`trivy corpus: ${found}/${expected} expected findings found over ${cases.length} cases`);
    assert.deepEqual(problems, []);
    assert.equal(found, expected);
  });
});
