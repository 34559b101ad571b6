/**
 * The ecosystems' own tools as batch oracles: each takes many `[a, b]` pairs and returns one
 * verdict per pair (`<`, `=`, `>`, or `!` when the tool rejects a version), running one process
 * per batch. `available()` says whether the tool is installed here.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type Verdict = '<' | '=' | '>' | '!';

export interface Oracle {
  /** What runs, for messages: `dpkg --compare-versions`. */
  tool: string;
  available(): boolean;
  compare(pairs: ReadonlyArray<readonly [string, string]>): Verdict[];
}

const HERE = path.dirname(fileURLToPath(import.meta.url));

function succeeds(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 60_000 });
  return r.status === 0;
}

function runBatch(tool: string, cmd: string, args: string[], pairs: ReadonlyArray<readonly [string, string]>, cwd?: string): Verdict[] {
  for (const [a, b] of pairs) {
    if (/[\t\n\r]/.test(a + b)) throw new Error(`oracle input may not contain tabs or newlines: ${JSON.stringify([a, b])}`);
  }
  const input = pairs.map(([a, b]) => `${a}\t${b}\n`).join('');
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 1 << 28, timeout: 600_000, cwd });
  if (r.status !== 0) throw new Error(`${tool} failed (status ${r.status}): ${r.stderr}`);
  const out = r.stdout.split('\n');
  out.pop();
  if (out.length !== pairs.length) throw new Error(`${tool} printed ${out.length} verdicts for ${pairs.length} pairs: ${r.stderr.slice(0, 500)}`);
  return out.map((v) => {
    if (v !== '<' && v !== '=' && v !== '>' && v !== '!') throw new Error(`${tool} printed ${JSON.stringify(v)}`);
    return v;
  });
}

const PYTHONS = ['python3', '/usr/bin/python3'];
function pythonWith(module: string): string | undefined {
  return PYTHONS.find((py) => succeeds(py, ['-c', `import ${module}`]));
}

function mavenJar(): string | undefined {
  const dir = '/usr/share/maven/lib';
  try {
    const jar = readdirSync(dir).find((f) => /^maven-artifact-.*\.jar$/.test(f));
    return jar ? path.join(dir, jar) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Builds the Go oracle once per process: go_compare.go plus the semver package the Go toolchain
 * vendors (no network needed), in a temporary module. Returns the binary, or undefined without Go.
 */
let goBinary: string | null | undefined;
function buildGoOracle(): string | undefined {
  if (goBinary !== undefined) return goBinary ?? undefined;
  goBinary = null;
  const goroot = spawnSync('go', ['env', 'GOROOT'], { encoding: 'utf8' });
  if (goroot.status !== 0) return undefined;
  const vendored = path.join(goroot.stdout.trim(), 'src/cmd/vendor/golang.org/x/mod/semver/semver.go');
  if (!existsSync(vendored)) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-go-oracle-'));
  mkdirSync(path.join(dir, 'semver'));
  copyFileSync(vendored, path.join(dir, 'semver/semver.go'));
  copyFileSync(path.join(HERE, 'go_compare.go'), path.join(dir, 'main.go'));
  writeFileSync(path.join(dir, 'go.mod'), 'module oracle\n\ngo 1.17\n');
  const bin = path.join(dir, 'go_compare');
  const r = spawnSync('go', ['build', '-o', bin, '.'], { cwd: dir, encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOCACHE: path.join(dir, 'cache') }, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`building the Go oracle failed: ${r.stderr}`);
  goBinary = bin;
  return bin;
}

let memo: Map<string, boolean> | undefined;
function cached(key: string, check: () => boolean): boolean {
  memo ??= new Map();
  let v = memo.get(key);
  if (v === undefined) {
    v = check();
    memo.set(key, v);
  }
  return v;
}

export const ORACLES: Record<string, Oracle> = {
  dpkg: {
    tool: 'dpkg --compare-versions',
    available: () => cached('dpkg', () => succeeds('dpkg', ['--compare-versions', '1', 'lt', '2'])),
    compare: (pairs) => runBatch('dpkg', 'sh', [path.join(HERE, 'dpkg_compare.sh')], pairs),
  },
  rpm: {
    tool: 'python3-rpm rpm.ver',
    available: () => cached('rpm', () => pythonWith('rpm') !== undefined),
    compare: (pairs) => runBatch('rpm', pythonWith('rpm') as string, [path.join(HERE, 'rpm_compare.py')], pairs),
  },
  pep440: {
    tool: 'python packaging.version',
    available: () => cached('pep440', () => pythonWith('packaging') !== undefined),
    compare: (pairs) => runBatch('packaging', pythonWith('packaging') as string, [path.join(HERE, 'pep440_compare.py')], pairs),
  },
  maven: {
    tool: 'maven-artifact ComparableVersion',
    available: () => cached('maven', () => mavenJar() !== undefined && succeeds('java', ['-version'])),
    compare: (pairs) =>
      runBatch('maven', 'java', ['-cp', mavenJar() as string, path.join(HERE, 'MavenCompare.java')], pairs, '/tmp'),
  },
  rubygems: {
    tool: 'ruby Gem::Version',
    available: () => cached('ruby', () => succeeds('ruby', ['-e', 'require "rubygems"'])),
    compare: (pairs) => runBatch('ruby', 'ruby', [path.join(HERE, 'gem_compare.rb')], pairs),
  },
  composer: {
    tool: 'php version_compare',
    available: () => cached('php', () => succeeds('php', ['-r', 'exit(0);'])),
    compare: (pairs) => runBatch('php', 'php', [path.join(HERE, 'php_compare.php')], pairs),
  },
  go: {
    tool: 'golang.org/x/mod/semver',
    available: () => cached('go', () => succeeds('go', ['version'])),
    compare: (pairs) => runBatch('go', buildGoOracle() as string, [], pairs),
  },
  cran: {
    tool: 'R compareVersion',
    available: () => cached('R', () => succeeds('Rscript', ['-e', 'invisible(0)'])),
    compare: (pairs) => runBatch('R', 'Rscript', [path.join(HERE, 'cran_compare.R')], pairs),
  },
  semver: {
    tool: 'node semver (npm)',
    available: () => true,
    compare: (pairs) => runBatch('semver', process.execPath, [path.join(HERE, 'semver_compare.mjs')], pairs),
  },
};
