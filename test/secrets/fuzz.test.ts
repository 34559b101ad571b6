import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify as tomlStringify } from 'smol-toml';
import {
  defaultSecretRules,
  parseGitleaksConfig,
  parseSecretConfigYaml,
  Re2TranslationError,
  scanText,
  SecretConfigError,
  translateRe2,
} from '../../src/secrets/index.ts';
import { AhoCorasickPrefilter, CombinedRegexPrefilter } from '../../src/secrets/prefilter.ts';
import { GITHUB_PAT } from './fixtures.ts';

const RUNS = 300;
const rules = defaultSecretRules();

/** Regex-ish text: heavy in metacharacters so the translator's branches are all reached. */
const regexish = fc.string({
  unit: fc.constantFrom(...'()[]{}?*+|^$.\\-:<>PiszAQEx0123aAzZ_,=!'.split(''), '(?i)', '(?P<', '[[:alpha:]]', '\\z', '\\Q', '\\E', '\\x{41}', '(?-i:'),
  maxLength: 40,
});

describe('fuzz', () => {
  test('translateRe2: any input gives a compiling RegExp or a Re2TranslationError', () => {
    fc.assert(
      fc.property(regexish, (p) => {
        try {
          const t = translateRe2(p);
          new RegExp(t.source, t.flags);
        } catch (err) {
          assert.ok(err instanceof Re2TranslationError, `${p}: ${String(err)}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('translated case-insensitive literals match exactly the case variants RE2 would', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zA-Z0-9]{1,12}$/), fc.boolean(), (word, upper) => {
        const variant = upper ? word.toUpperCase() : word.toLowerCase();
        const scoped = new RegExp(`^${translateRe2(`x(?i:${word})`).source}$`);
        assert.ok(scoped.test(`x${variant}`));
        assert.equal(scoped.test(`X${variant}`), false);
      }),
      { numRuns: RUNS },
    );
  });

  test('gitleaks importer: random text never crashes (parses or SecretConfigError)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        try {
          parseGitleaksConfig(text, 'f.toml');
        } catch (err) {
          assert.ok(err instanceof SecretConfigError, String(err));
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('gitleaks importer: structurally valid TOML with random fields and patterns', () => {
    const rule = fc.record(
      {
        id: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
        regex: regexish,
        secretGroup: fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constant(1.5)),
        entropy: fc.double({ min: 0, max: 8, noNaN: true }),
        keywords: fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }),
        path: regexish,
        allowlists: fc.array(
          fc.record(
            { regexes: fc.array(regexish, { maxLength: 2 }), stopwords: fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }), regexTarget: fc.constantFrom('secret', 'match', 'line', 'bad'), condition: fc.constantFrom('OR', 'AND', 'x') },
            { requiredKeys: [] },
          ),
          { maxLength: 2 },
        ),
      },
      { requiredKeys: ['id'] },
    );
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 4 }), fc.string({ maxLength: 200 }), (rulesIn, sample) => {
        const text = tomlStringify({ rules: rulesIn });
        let cfg;
        try {
          cfg = parseGitleaksConfig(text, 'f.toml');
        } catch (err) {
          assert.ok(err instanceof SecretConfigError, String(err));
          return;
        }
        // Whatever was imported must scan arbitrary input without throwing.
        scanText(sample, 'a/b.txt', cfg);
      }),
      { numRuns: RUNS },
    );
  });

  test('YAML config: random text parses or fails with SecretConfigError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom('rules:\n  - id: a\n    regex: "', 'rules: {}', 'disable-rules: 3', 'allow-rules:\n  - path: "["')), (text) => {
        try {
          parseSecretConfigYaml(text, 's.yaml');
        } catch (err) {
          assert.ok(err instanceof SecretConfigError, String(err));
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('scanner: random bytes never crash; a token between separators in random text is always found and redacted', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.string({ maxLength: 500 }), fc.string({ maxLength: 500 }), (bytes, before, after) => {
        scanText(Buffer.from(bytes), 'f.bin', rules);
        const findings = scanText(`${before}\n${GITHUB_PAT}\n${after}`, 'app/f.txt', rules);
        const hit = findings.find((f) => f.rule_id === 'github-pat' && f.line === before.split('\n').length + 1);
        assert.ok(hit, 'token found on its line');
        for (const f of findings) assert.ok(!f.match.includes(GITHUB_PAT.slice(4, 10)));
      }),
      { numRuns: RUNS },
    );
  });

  test('prefilters agree with a naive case-insensitive substring search', () => {
    const word = fc.stringMatching(/^[a-zA-Z_.:-]{1,6}$/);
    fc.assert(
      fc.property(fc.uniqueArray(word, { minLength: 1, maxLength: 12 }), fc.array(fc.oneof(word, fc.string({ maxLength: 8 })), { maxLength: 30 }), (keywords, parts) => {
        const text = parts.join('');
        const expected = keywords.flatMap((k, i) => (text.toLowerCase().includes(k.toLowerCase()) ? [i] : []));
        const lowerDup = new Set(keywords.map((k) => k.toLowerCase())).size !== keywords.length;
        const ac = [...new AhoCorasickPrefilter(keywords).find(Buffer.from(text, 'latin1'))].sort((a, b) => a - b);
        assert.deepEqual(ac, expected);
        if (!lowerDup) {
          const re = [...new CombinedRegexPrefilter(keywords).find(text)].sort((a, b) => a - b);
          // The combined regex may miss a keyword that starts where a longer one matched; never reports an absent one.
          assert.ok(re.every((i) => expected.includes(i)));
        }
      }),
      { numRuns: RUNS },
    );
  });
});
