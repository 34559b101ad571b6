/**
 * Secret scanning benchmark (`npm run bench -- secrets`).
 *
 *  1. Keyword prefilter: Aho-Corasick over bytes vs one combined RegExp, same keywords, same input.
 *  2. Scanner throughput on one core over a realistic file mix: text and config files and ELF
 *     binaries from the Debian rootfs, JavaScript/TypeScript source from node_modules.
 * All figures are CPU time of this process (user + system, zlib threads included), best of N.
 *  3. Added time over the plain layer walk: the debootstrap bookworm rootfs as one gzip layer,
 *     walked with the inventory analyzers, then with the secret analyzer added (interleaved, best of BENCH_SECRETS_ROUNDS, default 5).
 */
import { existsSync, readdirSync, readFileSync, lstatSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_ANALYZERS } from '../src/analyzers/index.ts';
import type { Analyzer } from '../src/analyzers/types.ts';
import { openSource } from '../src/image/open.ts';
import { walkImage } from '../src/image/walk.ts';
import { createSecretAnalyzer, defaultSecretRules, scanText } from '../src/secrets/index.ts';
import { AhoCorasickPrefilter, CombinedRegexPrefilter } from '../src/secrets/prefilter.ts';
import { buildImage, layerFromDirectory, writeOciLayout } from '../test/helpers/image-builder.ts';
import { bestOf, envNumber, machineLine, measureAsync, median, MiB as MB } from './lib.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOTFS = process.env.PORTWARDEN_TEST_ROOTFS ?? '/tmp/pw-debootstrap-bookworm';
/** Walk rounds (plain and with secrets each); BENCH_SECRETS_ROUNDS=1 for a quick check. */
const ROUNDS = envNumber('BENCH_SECRETS_ROUNDS', 5);

function walkFiles(root: string, limit: number, accept: (p: string) => boolean): { path: string; content: Buffer }[] {
  const out: { path: string; content: Buffer }[] = [];
  let total = 0;
  const stack = [root];
  while (stack.length > 0 && total < limit) {
    const dir = stack.pop() as string;
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const full = path.join(dir, name);
      const st = lstatSync(full);
      if (st.isDirectory()) stack.push(full);
      else if (st.isFile() && st.size > 0 && st.size < 10 * MB && accept(full)) {
        try {
          const content = readFileSync(full);
          out.push({ path: path.relative(root, full), content });
          total += content.length;
        } catch {
          // unreadable (permissions): not part of the mix
        }
        if (total >= limit) break;
      }
    }
  }
  return out;
}

/**
 * CPU seconds (user + system) of the best of `reps` runs: the machine is shared with other builds,
 * so wall time mostly measures their load; CPU time is what the scan itself costs on one core.
 */
function timeIt(fn: () => void, reps = 3): number {
  return bestOf(fn, reps).cpuMs / 1000;
}

async function main(): Promise<void> {
  console.log(machineLine());
  const rules = defaultSecretRules();
  const haveRootfs = existsSync(ROOTFS);
  const text = haveRootfs ? walkFiles(path.join(ROOTFS, 'etc'), 8 * MB, () => true).concat(walkFiles(path.join(ROOTFS, 'usr/share'), 24 * MB, () => true)) : [];
  const binaries = haveRootfs ? walkFiles(path.join(ROOTFS, 'usr/bin'), 24 * MB, () => true) : [];
  const source = walkFiles(path.join(BENCH_DIR, '..', 'node_modules'), 24 * MB, (p) => /\.(?:[cm]?js|ts)$/.test(p));
  const mix = [...text, ...binaries, ...source];
  const bytes = (files: { content: Buffer }[]): number => files.reduce((n, f) => n + f.content.length, 0);
  console.log(`file mix: ${mix.length} files, ${(bytes(mix) / MB).toFixed(1)} MB (text/config ${(bytes(text) / MB).toFixed(1)} MB, ELF ${(bytes(binaries) / MB).toFixed(1)} MB, JS/TS source ${(bytes(source) / MB).toFixed(1)} MB)${haveRootfs ? '' : ' [no rootfs: source only]'}`);

  const keywords = [...new Set(rules.rules.flatMap((r) => r.keywords))];
  const textual = [...text, ...source];
  const textMb = bytes(textual) / MB;
  const ac = new AhoCorasickPrefilter(keywords);
  const re = new CombinedRegexPrefilter(keywords);
  const tAc = timeIt(() => {
    for (const f of textual) ac.find(f.content);
  });
  const tRe = timeIt(() => {
    for (const f of textual) re.find(f.content);
  });
  console.log(`prefilter (${keywords.length} keywords) on ${textMb.toFixed(1)} MB text+source: Aho-Corasick ${(textMb / tAc).toFixed(0)} MB/s, combined RegExp ${(textMb / tRe).toFixed(0)} MB/s`);

  const analyzer = createSecretAnalyzer(rules);
  let findings = 0;
  const tMix = timeIt(() => {
    findings = 0;
    for (const f of mix) {
      if (!analyzer.required(f.path, { path: f.path, type: 'file', size: f.content.length, mode: 0o644, layerIndex: 0, layerDigest: '' })) continue;
      findings += (analyzer.analyze({ path: f.path, content: f.content, meta: { path: f.path, type: 'file', size: f.content.length, mode: 0o644, layerIndex: 0, layerDigest: '' } }) as unknown[] | undefined)?.length ?? 0;
    }
  });
  console.log(`analyzer over the mix (binary skip + path allow-lists as in an image): ${(bytes(mix) / MB / tMix).toFixed(0)} MB/s, ${findings} findings`);
  const tText = timeIt(() => {
    for (const f of textual) scanText(f.content, 'app/file', rules);
  });
  console.log(`scanText on every text/source file (no path skipping): ${(textMb / tText).toFixed(0)} MB/s`);

  if (!haveRootfs) {
    console.log(`walk overhead: skipped (no rootfs at ${ROOTFS})`);
    return;
  }
  const out = path.join(BENCH_DIR, 'out', 'secrets');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const image = await buildImage({ layers: [await layerFromDirectory(ROOTFS, { compression: 'gzip' })] });
  await writeOciLayout(path.join(out, 'layout'), image, 'bench');
  const walk = async (analyzers: Analyzer[]): Promise<number> => {
    const src = await openSource(`oci:${path.join(out, 'layout')}:bench`);
    const { cpuMs } = await measureAsync(() => walkImage(src, { analyzers, concurrency: 1 }));
    await src.close();
    return cpuMs / 1000;
  };
  const plain: number[] = [];
  const withSecrets: number[] = [];
  let secretsFound = 0;
  await walk([...ALL_ANALYZERS]); // warm-up (page cache, JIT)
  for (let i = 0; i < ROUNDS; i++) {
    plain.push(await walk([...ALL_ANALYZERS]));
    const a = createSecretAnalyzer(rules);
    withSecrets.push(await walk([...ALL_ANALYZERS, a as Analyzer]));
  }
  const src = await openSource(`oci:${path.join(out, 'layout')}:bench`);
  const r = await walkImage(src, { analyzers: [createSecretAnalyzer(rules) as Analyzer] });
  secretsFound = r.outputs.get('secrets')?.secrets?.length ?? 0;
  await src.close();
  console.log(`walk CPU seconds plain ${plain.map((x) => x.toFixed(2)).join(",")} secrets ${withSecrets.map((x) => x.toFixed(2)).join(",")}`);
  const p = Math.min(...plain);
  const s = Math.min(...withSecrets);
  console.log(
    `walk of debootstrap bookworm (${((image.layers[0]?.size ?? 0) / MB).toFixed(1)} MB gzip), CPU seconds: inventory analyzers ${p.toFixed(2)} s, + secrets ${s.toFixed(2)} s, added ${(((s - p) / p) * 100).toFixed(1)}% (best of ${ROUNDS}); medians ${median(plain).toFixed(2)} s vs ${median(withSecrets).toFixed(2)} s, added ${(((median(withSecrets) - median(plain)) / median(plain)) * 100).toFixed(1)}%; ${secretsFound} secret findings`,
  );
  await rm(out, { recursive: true, force: true });
}

await main();
