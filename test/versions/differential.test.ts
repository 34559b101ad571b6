/**
 * Differential tests: random versions the suite has never seen, compared by our schemes (through
 * the same `compareLine` the CLI prints) and by each ecosystem's own tool, verdict for verdict,
 * including whether a version is rejected. Pairs per tool: PORTWARDEN_DIFF_PAIRS (default 300);
 * run with 20000 by hand to hunt for bugs. PORTWARDEN_DIFF_SEED replays a failing run.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareLine } from '../../src/cli/commands/debug.ts';
import { getScheme } from '../../src/versions/index.ts';
import { requireOrSkip } from '../helpers/shared-data.ts';
import { ORACLES } from './oracles/index.ts';
import { chaosPairs, composerPairs, cranPairs, goPairs, dpkgPairs, mavenPairs, pep440Pairs, rpmPairs, rubygemsPairs, semverPairs } from './arbitraries.ts';

const PAIRS = Number(process.env.PORTWARDEN_DIFF_PAIRS ?? 300);
const SEED = process.env.PORTWARDEN_DIFF_SEED ? Number(process.env.PORTWARDEN_DIFF_SEED) : Date.now() % 2 ** 31;

const CASES: Array<{ scheme: string; pairs: fc.Arbitrary<[string, string]>; unstructured?: boolean }> = [
  { scheme: 'dpkg', pairs: dpkgPairs },
  { scheme: 'rpm', pairs: rpmPairs },
  { scheme: 'pep440', pairs: pep440Pairs },
  { scheme: 'maven', pairs: mavenPairs },
  { scheme: 'rubygems', pairs: rubygemsPairs },
  { scheme: 'composer', pairs: composerPairs },
  { scheme: 'semver', pairs: semverPairs },
  { scheme: 'go', pairs: goPairs },
  { scheme: 'cran', pairs: cranPairs },
  // Unstructured strings: validity decisions and odd characters. dpkg's command line would take a
  // leading `-` as an option.
  ...['dpkg', 'rpm', 'pep440', 'maven', 'rubygems', 'composer', 'semver', 'go'].map((scheme) => ({
    scheme,
    unstructured: true,
    pairs: chaosPairs.filter(([a, b]) => scheme !== 'dpkg' || (!a.startsWith('-') && !b.startsWith('-'))),
  })),
];

describe(`differential against the ecosystems' tools (${PAIRS} pairs each, seed ${SEED})`, () => {
  for (const { scheme: id, pairs, unstructured } of CASES) {
    const oracle = ORACLES[id];
    if (!oracle) throw new Error(`no oracle for ${id}`);
    test(`${id} agrees with ${oracle.tool} (${unstructured ? 'unstructured' : 'grammar'})`, (t) => {
      if (!requireOrSkip(t, oracle.available(), oracle.tool)) return;
      const scheme = getScheme(id);
      const sample = fc.sample(pairs, { numRuns: PAIRS, seed: SEED });
      const theirs = oracle.compare(sample);
      const mismatches: string[] = [];
      sample.forEach(([a, b], i) => {
        const ours = compareLine(scheme, `${a}\t${b}`).verdict;
        if (ours !== theirs[i]) mismatches.push(`${JSON.stringify(a)} vs ${JSON.stringify(b)}: ours ${ours}, ${oracle.tool} ${theirs[i]}`);
      });
      const distinct = new Set(theirs);
      if (!unstructured) assert.ok(distinct.has('<') && distinct.has('>'), 'the generator should produce both orders');
      assert.deepEqual(mismatches.slice(0, 25), [], `${mismatches.length} of ${sample.length} pairs disagree (seed ${SEED})`);
    });
  }
});
