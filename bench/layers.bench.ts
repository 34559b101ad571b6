/**
 * Layer streaming benchmark (`npm run bench -- layers`). Inputs are generated once under
 * bench/out/layers/ (gitignored, ~0.6 GB) with a fixed seed: tars of many files of mixed sizes,
 * compressible text and incompressible random data, gzip-compressed by pigz.
 *
 * Measures, in one run, against `pigz -dc > /dev/null` on the same files:
 *  1. a full walk of one ~200 MB (compressed) gzip layer;
 *  2. a 4-layer image walked with concurrency 3 vs one layer after another;
 *  3. peak RSS (VmHWM) of a child process walking a ~1 GB (uncompressed) 5-layer image with an
 *     analyzer that buffers every text file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pack as tarPack } from 'tar-stream';
import type { Analyzer } from '../src/analyzers/types.ts';
import { openSource } from '../src/image/open.ts';
import { walkImage } from '../src/image/walk.ts';
import { bestOfInterleaved, envNumber, machineLine, markdownTable, measureAsync, MiB as MB, mulberry32 } from './lib.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(BENCH_DIR, 'out', 'layers');
/** BENCH_LAYERS_SCALE=0.05 shrinks every generated layer (a quick check that the bench runs). */
const SCALE = envNumber('BENCH_LAYERS_SCALE', 1);
const SUFFIX = SCALE === 1 ? '' : `-x${SCALE}`;

const WORDS = 'the of and to in is that for it as with was on be by this are or from at not which have an but function return const let var import export class interface type if else while for switch case break continue default package main func error nil string int uint64 bytes buffer stream layer image manifest config digest sha256 debian ubuntu alpine libc openssl zlib curl python3 node npm version license copyright description depends provides'.split(' ');

/** A 4 MiB text corpus; files are slices of it at random offsets (gzip ratio ~4–5×, like source/docs). */
function textCorpus(random: () => number): Buffer {
  const parts: string[] = [];
  let size = 0;
  while (size < 4 * MB) {
    const line = Array.from({ length: 4 + Math.floor(random() * 10) }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
    parts.push(line);
    size += line.length + 1;
  }
  return Buffer.from(parts.join('\n'));
}

interface LayerPlan { seed: number; textBytes: number; randomBytes: number }

/** Streams a tar of the plan's files into `pigz -6` and returns the compressed file's digest and size. */
async function generateLayer(plan: LayerPlan, file: string): Promise<{ digest: string; size: number; uncompressed: number }> {
  const random = mulberry32(plan.seed);
  const corpus = textCorpus(random);
  const tmp = `${file}.tmp`;
  const out = createWriteStream(tmp);
  const pigz = spawn('pigz', ['-6', '-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
  pigz.stdout.pipe(out);
  const done = new Promise<void>((resolve, reject) => { out.on('finish', resolve); pigz.on('error', reject); });
  const p = tarPack();
  p.pipe(pigz.stdin);
  let uncompressed = 0;
  const add = (name: string, data: Buffer): Promise<void> => new Promise((resolve, reject) => {
    uncompressed += data.length;
    p.entry({ name, size: data.length, mode: 0o644, mtime: new Date(0) }, data, (err) => (err ? reject(err) : resolve()));
  });
  let text = 0;
  let rand = 0;
  let i = 0;
  while (text < plan.textBytes || rand < plan.randomBytes) {
    const dir = `usr/share/pkg${Math.floor(i / 50)}`;
    if (text < plan.textBytes) {
      // Mostly small files, a few medium ones: the shape of /usr/share and node_modules.
      const size = random() < 0.9 ? 512 + Math.floor(random() * 16 * 1024) : 64 * 1024 + Math.floor(random() * 960 * 1024);
      const start = Math.floor(random() * (corpus.length - size));
      await add(`${dir}/file${i}.txt`, corpus.subarray(start, start + size));
      text += size;
    }
    if (rand < plan.randomBytes && random() < 0.05) {
      const size = MB + Math.floor(random() * 7 * MB);
      await add(`${dir}/blob${i}.bin`, randomBytes(size));
      rand += size;
    }
    i++;
  }
  p.finalize();
  await done;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(tmp)) hash.update(chunk as Buffer);
  await rename(tmp, file);
  return { digest: `sha256:${hash.digest('hex')}`, size: (await stat(file)).size, uncompressed };
}

interface LayerFile { file: string; digest: string; size: number; uncompressed: number }

async function ensureLayer(name: string, plan: LayerPlan): Promise<LayerFile> {
  const file = path.join(OUT, `${name}.tar.gz`);
  const meta = `${file}.json`;
  if (existsSync(file) && existsSync(meta)) return { file, ...(JSON.parse(await readFile(meta, 'utf8')) as Omit<LayerFile, 'file'>) };
  process.stdout.write(`generating ${name}… `);
  const t = performance.now();
  const info = await generateLayer(plan, file);
  await writeFile(meta, JSON.stringify(info));
  console.log(`${(info.size / MB).toFixed(0)} MB compressed, ${(info.uncompressed / MB).toFixed(0)} MB tar, ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return { file, ...info };
}

/** An OCI layout whose blobs are hard links to the generated layer files. */
async function writeLayout(name: string, layers: LayerFile[]): Promise<string> {
  const dir = path.join(OUT, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.join(dir, 'blobs/sha256'), { recursive: true });
  const { link } = await import('node:fs/promises');
  for (const l of layers) {
    const target = path.join(dir, 'blobs/sha256', l.digest.slice(7));
    if (!existsSync(target)) await link(l.file, target);
  }
  const blob = async (data: string): Promise<{ digest: string; size: number }> => {
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    await writeFile(path.join(dir, 'blobs/sha256', digest.slice(7)), data);
    return { digest, size: Buffer.byteLength(data) };
  };
  const config = await blob(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const manifest = await blob(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
  }));
  await writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }] }));
  return dir;
}

/** Wall and CPU (user+sys, all threads) seconds of `pigz -dc FILE > /dev/null` for each file in turn. */
function pigzRun(files: string[]): { seconds: number; cpu: number } {
  let seconds = 0;
  let cpu = 0;
  for (const f of files) {
    const r = spawnSync('bash', ['-c', 'TIMEFORMAT="%R %U %S"; time pigz -dc "$1" > /dev/null', 'bash', f], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`pigz -dc ${f} failed: ${r.stderr}`);
    const [wall, user, sys] = r.stderr.trim().split(/\s+/).slice(-3).map(Number) as [number, number, number];
    seconds += wall;
    cpu += user + sys;
  }
  return { seconds, cpu };
}

/** Buffers every text file (like a secrets scanner would), to show analyzer cost and memory. */
const textAnalyzer: Analyzer<number> = {
  name: 'bench-text',
  version: 1,
  kind: 'secret',
  required: (p) => p.endsWith('.txt'),
  analyze: ({ content }) => content.length,
  finalize: () => ({}),
};

async function walkSeconds(layout: string, concurrency: number, analyzers: Analyzer[] = []): Promise<{ seconds: number; cpu: number; compressed: number; uncompressed: number; entries: number }> {
  const source = await openSource(`oci:${layout}`);
  const { wallMs, cpuMs, value: r } = await measureAsync(() => walkImage(source, { analyzers, concurrency }));
  await source.close();
  return { seconds: wallMs / 1000, cpu: cpuMs / 1000, compressed: r.stats.compressedBytes, uncompressed: r.stats.uncompressedBytes, entries: r.stats.entries };
}

async function childRss(layout: string): Promise<void> {
  const r = await walkSeconds(layout, 3, [textAnalyzer as Analyzer]);
  const status = await readFile('/proc/self/status', 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  process.stdout.write(JSON.stringify({ ...r, peakRss: hwm }));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child-rss') return childRss(process.argv[3] as string);
  if (spawnSync('pigz', ['--version']).status !== 0) throw new Error('pigz is required (apt-get install pigz)');
  await mkdir(OUT, { recursive: true });
  const single = await ensureLayer(`single${SUFFIX}`, { seed: 1, textBytes: 330 * MB * SCALE, randomBytes: 150 * MB * SCALE });
  const parts = await Promise.all([2, 3, 4, 5].map((seed) => ensureLayer(`part${seed}${SUFFIX}`, { seed, textBytes: 90 * MB * SCALE, randomBytes: 35 * MB * SCALE })));
  const singleLayout = await writeLayout('image-single', [single]);
  const multiLayout = await writeLayout('image-multi', parts);
  const bigLayout = await writeLayout('image-1g', [single, ...parts]);

  const rows: string[][] = [];
  const mbps = (bytes: number, s: number): string => `${(bytes / MB / s).toFixed(0)} MB/s`;

  // Best of 3 for every case, pigz and walk interleaved (bestOfInterleaved): the machine is
  // shared, and the minimum is the least disturbed run. CPU seconds (user+sys over all threads)
  // are reported beside wall time because they are far less sensitive to other load.
  const row = (name: string, input: string, bytes: number, r: { seconds: number; cpu: number }, base: { seconds: number; cpu: number }): string[] => [
    name, input, `${r.seconds.toFixed(2)} s`, `${r.cpu.toFixed(2)} s`, mbps(bytes, r.seconds), mbps(bytes, r.cpu),
    `${(base.seconds / r.seconds).toFixed(2)}× / ${(base.cpu / r.cpu).toFixed(2)}×`,
  ];

  // 1. Single layer.
  pigzRun([single.file]); // warm the page cache
  const [pigz1, walk1, walkText] = (await bestOfInterleaved<{ seconds: number; cpu: number; entries?: number }>([
    () => pigzRun([single.file]),
    () => walkSeconds(singleLayout, 1),
    () => walkSeconds(singleLayout, 1, [textAnalyzer as Analyzer]),
  ])) as [{ seconds: number; cpu: number }, { seconds: number; cpu: number; entries: number }, { seconds: number; cpu: number }];
  rows.push(row('pigz -dc, 1 layer', `${(single.size / MB).toFixed(0)} MB gz`, single.size, pigz1, pigz1));
  rows.push(row('walk, 1 layer (all entries)', `${walk1.entries} entries`, single.size, walk1, pigz1));
  rows.push(row('walk, 1 layer + buffer all .txt', '', single.size, walkText, pigz1));

  // 2. Four layers: concurrent vs sequential.
  const partsSize = parts.reduce((s, p) => s + p.size, 0);
  const [pigz4, seq, conc] = (await bestOfInterleaved([
    () => pigzRun(parts.map((p) => p.file)),
    () => walkSeconds(multiLayout, 1),
    () => walkSeconds(multiLayout, 3),
  ])) as [{ seconds: number; cpu: number }, { seconds: number; cpu: number }, { seconds: number; cpu: number }];
  rows.push(row('pigz -dc, 4 layers one by one', `${(partsSize / MB).toFixed(0)} MB gz`, partsSize, pigz4, pigz4));
  rows.push(row('walk, 4 layers, concurrency 1', '', partsSize, seq, pigz4));
  rows.push(row('walk, 4 layers, concurrency 3', '', partsSize, conc, pigz4));

  // 3. Peak RSS walking ~1 GB uncompressed, in a fresh process so generation does not count.
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child-rss', bigLayout], { encoding: 'utf8', maxBuffer: MB });
  if (child.status !== 0) throw new Error(`RSS child failed: ${child.stderr}`);
  const big = JSON.parse(child.stdout) as { seconds: number; cpu: number; compressed: number; uncompressed: number; peakRss: number };
  rows.push(['walk 5 layers (1 GB tar), conc 3 + .txt analyzer', `${(big.uncompressed / MB).toFixed(0)} MB tar`, `${big.seconds.toFixed(2)} s`, `${big.cpu.toFixed(2)} s`, mbps(big.compressed, big.seconds), mbps(big.compressed, big.cpu), `peak RSS ${(big.peakRss / MB).toFixed(0)} MB`]);

  const header = ['case', 'input', 'wall', 'cpu', 'MB/s (wall)', 'MB/s (cpu)', 'vs pigz -dc (wall / cpu)'];
  console.log(markdownTable(header, rows));
  console.log(`\n${machineLine()}; MB/s of compressed input; inputs in ${path.relative(process.cwd(), OUT)}`);
}

await main();
