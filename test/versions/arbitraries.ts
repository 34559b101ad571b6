/**
 * fast-check generators of realistic and tricky version strings per ecosystem, and of pairs that
 * are often close to each other (shared prefixes, one changed part), where ordering bugs live.
 */
import fc from 'fast-check';

const pick = (xs: readonly string[]): fc.Arbitrary<string> => fc.constantFrom(...xs);

const DIGITS = pick(['0', '1', '2', '9', '10', '01', '00', '11', '123', '2024', '20191109021931', '99999999999999999999']);

/** Pairs from fragment sequences: independent, sharing a prefix, extended by one, or with one fragment replaced. */
export function pairsOf(head: fc.Arbitrary<string>, fragment: fc.Arbitrary<string>, maxLength = 6): fc.Arbitrary<[string, string]> {
  const seq = fc.tuple(head, fc.array(fragment, { maxLength }));
  return fc
    .tuple(seq, seq, fc.nat(3), fc.nat(20), fragment)
    .map(([[ha, xs], [hb, ys], mode, k, f]): [string, string] => {
      const a = ha + xs.join('');
      switch (mode) {
        case 0:
          return [a, hb + ys.join('')];
        case 1: {
          const cut = k % (xs.length + 1);
          return [a, ha + [...xs.slice(0, cut), ...ys].join('')];
        }
        case 2:
          return [a, a + f];
        default: {
          const at = k % (xs.length + 1);
          const copy = [...xs];
          copy[at] = f;
          return [a, ha + copy.join('')];
        }
      }
    });
}

// dpkg's command line would read a leading `-` as an option, so such strings are not generated.
export const dpkgPairs = fc.oneof(
  { weight: 8, arbitrary: pairsOf(
    fc.oneof(fc.constant(''), pick(['1:', '0:', '2:', '10:', '01:'])).chain((e) => DIGITS.map((d) => e + d)),
    fc.oneof(DIGITS, pick(['.', '.', '+', '~', '~~', '-', '-', ':', 'a', 'b', 'z', 'A', 'Z', 'rc', 'beta', 'dfsg', 'ubuntu', 'deb', 'really', '+b1', '~rc1', '-1', '-0ubuntu1', '-1+deb12u1'])),
  ) },
  { weight: 2, arbitrary: pairsOf(
    pick(['', 'a', ':1', '1:', 'x:1', '1-', '1 2', '1_0', '+1:2', '1:a', '1.0-a-', '99999999999:1', '<unknown>', ' 1', '1 ']),
    pick(['1', '.', '-', '~', ':', '_', '!', '@', 'é', 'a', '+']),
    3,
  ) },
).filter(([a, b]) => !a.startsWith('-') && !b.startsWith('-'));

export const rpmPairs = pairsOf(
  fc.oneof(fc.constant(''), pick(['1:', '0:', '2:', ':', '01:', 'a:'])).chain((e) => DIGITS.map((d) => e + d)),
  fc.oneof(DIGITS, pick(['.', '.', '-', '_', '+', '~', '^', '~~', '^^', 'a', 'b', 'Z', 'rc', 'el9', 'fc38', 'git', 'α', ':', 'A', 'aa'])),
);

const pepPre = pick(['a', 'b', 'c', 'rc', 'alpha', 'beta', 'pre', 'preview', 'A', 'RC', 'Alpha']);
const pepSep = pick(['', '', '.', '-', '_']);
const pepNum = pick(['', '0', '1', '2', '10', '01']);
const pep440Full = fc
  .tuple(
    pick(['', '', '', 'v', 'V', ' ']),
    fc.oneof(fc.constant(''), pick(['1!', '0!', '2!'])),
    fc.array(pick(['0', '1', '2', '10', '00', '01']), { minLength: 1, maxLength: 4 }).map((r) => r.join('.')),
    fc.option(fc.tuple(pepSep, pepPre, pepSep, pepNum).map((p) => p.join(''))),
    fc.option(fc.oneof(pick(['-1', '-2', '-0']), fc.tuple(pepSep, pick(['post', 'rev', 'r', 'POST']), pepSep, pepNum).map((p) => p.join('')))),
    fc.option(fc.tuple(pepSep, pick(['dev', 'DEV']), pepSep, pepNum).map((p) => p.join(''))),
    fc.option(
      fc
        .array(pick(['1', '2', '01', 'a', 'b', 'abc', 'ubuntu', 'Z', '0']), { minLength: 1, maxLength: 3 })
        .chain((parts) => pick(['.', '-', '_']).map((sep) => `+${parts.join(sep)}`)),
    ),
    pick(['', '', '', ' ', '\u00a0', '\u2003', '\u001c']),
  )
  .map((p) => p.map((x) => x ?? '').join(''));

const pep440Suffix = pick(['.0', 'a1', 'b', 'rc2', '.post1', '-1', '.dev0', 'dev', '+1', '+a', '.1', '0', 'c', 'r']);

export const pep440Pairs = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(pep440Full, pep440Full) },
  { weight: 4, arbitrary: fc.tuple(pep440Full, pep440Suffix).map(([a, s]): [string, string] => [a, a.trim() + s]) },
  { weight: 2, arbitrary: pairsOf(pick(['1', 'v1', '1!1', '', 'x']), pick(['.', '0', '1', 'a', 'b', 'rc', 'post', 'dev', '+', '-', '_', '!', 'local', ' ']), 5) },
);

const MAVEN_WORDS = ['alpha', 'a', 'beta', 'b', 'milestone', 'm', 'rc', 'cr', 'snapshot', 'SNAPSHOT', 'ga', 'final', 'Final', 'release', 'RELEASE', 'sp', 'SP', 'foo', 'x', 'RC', 'M', 'pre', 'preview', 'GA', 'jre', 'android'];
export const mavenPairs = pairsOf(
  DIGITS,
  fc.oneof(DIGITS, pick(['.', '.', '-', '-', ...MAVEN_WORDS]), pick(['.0', '-0', '.1', '-1', '..', '--', '.-', '-.'])),
);

export const rubygemsPairs = fc.oneof(
  { weight: 9, arbitrary: pairsOf(
    fc.oneof(DIGITS, pick([' 1', '1', '0', ''])),
    fc.oneof(pick(['.', '.', '-']).chain((s) => fc.oneof(DIGITS, pick(['a', 'b', 'pre', 'rc', 'beta', 'A', 'B', 'alpha', 'z1', '1a'])).map((x) => s + x)), pick(['a', '1'])),
  ) },
  { weight: 1, arbitrary: pairsOf(pick(['', ' ', '1', 'a', '-1']), pick(['.', '-', '_', 'a', '1', ' ', '..']), 3) },
);

export const composerPairs = pairsOf(
  fc.oneof(DIGITS, pick(['v1', 'V2', '#', 'dev', 'a'])),
  fc.oneof(DIGITS, pick(['.', '.', '-', '_', '+', '..', 'dev', 'alpha', 'a', 'beta', 'b', 'RC', 'rc', 'Rc', 'pl', 'p', 'patch', '#', 'foo', 'x', ' ', '*'])),
);

export const semverPairs = pairsOf(
  fc.tuple(pick(['', '', '', 'v', '=', ' ']), DIGITS, DIGITS, DIGITS).map(([p, a, b, c]) => `${p}${a}.${b}.${c}`),
  pick(['-alpha', '-beta', '-rc.1', '.1', '.0', '.10', '.2', '+build', '+001', '-1', '.x-y', '-A', '-9007199254740993', '.alpha', '-01', 'a', '.', '-']),
  3,
);

/** Unstructured strings over a wide alphabet (letters, digits, every separator, non-ASCII, blanks). */
export const chaosPairs: fc.Arbitrary<[string, string]> = (() => {
  const ch = fc.constantFrom(...'0123456789012345abcxyzABCXYZ.-_+~^:!@#*/ vVéα٣'.split(''));
  const str = fc.array(ch, { maxLength: 10 }).map((cs) => cs.join(''));
  return fc.oneof(fc.tuple(str, str), str.chain((a) => str.map((b): [string, string] => [a, a + b])));
})();

export const goPairs = pairsOf(
  fc.tuple(pick(['', 'v', 'v', 'V']), DIGITS, pick(['', '.0', '.1', '.10', '.01']), pick(['', '.0', '.2', '.99999999999999999999', '.00'])).map((p) => p.join('')),
  pick(['-0.20191109021931-daa7c04131f5', '-20191109021931-daa7c04131f5', '-rc.1', '-alpha', '-beta.2', '.1', '-01', '-0', '-a-b', '+incompatible', '+build.001', '-', '+', '.', '-pre.10', '-x.9']),
  3,
);

/** CRAN: numbers and separators only (R's compareVersion gives arbitrary answers on anything else). */
export const cranPairs = pairsOf(
  pick(['0', '1', '2', '10', '01', '0.1', '1.0', '2147483647', '2147483648']),
  fc.tuple(pick(['.', '-']), pick(['0', '1', '2', '9', '10', '01', '00', '75', '123'])).map(([s, n]) => s + n),
  4,
);
