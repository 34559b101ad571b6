/**
 * Version comparison benchmark: 1,000,000 comparisons per scheme over realistic version pairs
 * (a pool of 2,000 versions per scheme, as a matcher sees: the same installed and fixed versions
 * compared again and again, so parses are cached), reporting ns per comparison; plus the cost of a
 * first comparison of never-seen strings (parse included). Run: npm run bench -- versions
 */
import { getScheme, SCHEME_IDS } from '../src/versions/index.ts';
import { envNumber, machineLine, measure, mulberry32 } from './lib.ts';

const COMPARISONS = envNumber('BENCH_COMPARISONS', 1_000_000);
const POOL = 2_000;

const GENERATORS: Record<string, (r: () => number, i: number) => string> = {
  dpkg: (r, i) => `${r() < 0.1 ? '1:' : ''}${1 + (i % 7)}.${i % 23}.${Math.floor(r() * 40)}${r() < 0.2 ? '~rc1' : ''}-${1 + (i % 4)}${r() < 0.3 ? `+deb${11 + (i % 2)}u${i % 5}` : ''}`,
  apk: (r, i) => `${1 + (i % 5)}.${i % 31}.${Math.floor(r() * 20)}${r() < 0.1 ? '_rc1' : r() < 0.1 ? '_p2' : ''}-r${i % 6}`,
  rpm: (r, i) => `${r() < 0.1 ? '2:' : ''}${1 + (i % 9)}.${i % 17}.${Math.floor(r() * 30)}-${1 + (i % 50)}.el${8 + (i % 2)}_${i % 10}`,
  semver: (r, i) => `${i % 12}.${Math.floor(r() * 30)}.${i % 19}${r() < 0.2 ? `-beta.${i % 4}` : ''}`,
  go: (r, i) => (r() < 0.2 ? `v0.0.0-2023${String(1 + (i % 12)).padStart(2, '0')}01${String(i % 999999).padStart(6, '0')}-abcdef${(i % 999999).toString(16).padStart(6, '0')}` : `v${i % 4}.${Math.floor(r() * 40)}.${i % 13}`),
  nuget: (r, i) => `${i % 9}.${Math.floor(r() * 20)}.${i % 7}${r() < 0.2 ? '-preview.1' : ''}`,
  pub: (r, i) => `${i % 5}.${Math.floor(r() * 20)}.${i % 9}${r() < 0.1 ? '+1' : ''}`,
  pep440: (r, i) => `${i % 6}.${Math.floor(r() * 30)}.${i % 11}${r() < 0.15 ? 'rc1' : r() < 0.1 ? '.post1' : ''}`,
  maven: (r, i) => `${i % 6}.${Math.floor(r() * 30)}.${i % 11}${r() < 0.15 ? '-SNAPSHOT' : r() < 0.1 ? '.Final' : ''}`,
  rubygems: (r, i) => `${i % 7}.${Math.floor(r() * 30)}.${i % 11}${r() < 0.15 ? '.rc1' : ''}`,
  composer: (r, i) => `${r() < 0.3 ? 'v' : ''}${i % 7}.${Math.floor(r() * 30)}.${i % 11}${r() < 0.15 ? '-RC1' : ''}`,
  cran: (r, i) => `${i % 5}.${Math.floor(r() * 20)}-${i % 9}`,
  hackage: (r, i) => `${i % 5}.${Math.floor(r() * 20)}.${i % 9}.${i % 3}`,
  generic: (r, i) => `${i % 5}.${Math.floor(r() * 20)}${r() < 0.2 ? '-rc1' : ''}`,
};

function compareCost(id: string): { warmNs: number; warmCpuNs: number; coldNs: number; coldCpuNs: number } {
  const scheme = getScheme(id);
  const gen = GENERATORS[id];
  if (!gen) throw new Error(`no generator for ${id}`);
  const r = mulberry32(42);
  const pool = Array.from({ length: POOL }, (_, i) => gen(r, i));
  const left: string[] = [];
  const right: string[] = [];
  for (let i = 0; i < 4096; i++) {
    left.push(pool[Math.floor(r() * POOL)] as string);
    right.push(pool[Math.floor(r() * POOL)] as string);
  }
  let sink = 0;
  for (let i = 0; i < 50_000; i++) sink += scheme.compare(left[i & 4095] as string, right[i & 4095] as string);
  // The loops keep their own accumulator: a captured outer variable would add to every comparison.
  const warm = measure(() => {
    let acc = 0;
    for (let i = 0; i < COMPARISONS; i++) acc += scheme.compare(left[i & 4095] as string, right[i & 4095] as string);
    return acc;
  });
  sink += warm.value;

  // Never-seen strings defeat the parse cache (and exercise its eviction).
  const coldN = 100_000;
  // Appending digits to the first number keeps every scheme's grammar and makes each string new.
  const fresh = Array.from({ length: coldN }, (_, i) => gen(r, i).replace(/^(v?)([0-9]+)/, (_m, v: string, d: string) => `${v}${i + 1}${d}`));
  const cold = measure(() => {
    let acc = 0;
    for (let i = 0; i < coldN; i++) acc += scheme.compare(fresh[i] as string, fresh[(i * 7919) % coldN] as string);
    return acc;
  });
  sink += cold.value;
  if (sink === Number.MIN_SAFE_INTEGER) console.log('unreachable');
  const ns = (ms: number, n: number): number => (ms * 1e6) / n;
  return { warmNs: ns(warm.wallMs, COMPARISONS), warmCpuNs: ns(warm.cpuMs, COMPARISONS), coldNs: ns(cold.wallMs, coldN), coldCpuNs: ns(cold.cpuMs, coldN) };
}

console.log(`${machineLine()}; ${COMPARISONS.toLocaleString('en-US')} comparisons per scheme over a pool of ${POOL} versions`);
console.log('| scheme | ns/comparison (cached parses) | CPU ns | ns/comparison (new strings, parse included) | CPU ns |');
console.log('|---|---:|---:|---:|---:|');
for (const id of SCHEME_IDS) {
  const { warmNs, warmCpuNs, coldNs, coldCpuNs } = compareCost(id);
  console.log(`| ${id} | ${warmNs.toFixed(0)} | ${warmCpuNs.toFixed(0)} | ${coldNs.toFixed(0)} | ${coldCpuNs.toFixed(0)} |`);
}
