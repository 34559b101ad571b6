/**
 * Real package managers (fetched from the npm registry with npx): pnpm 7/8/9 (lockfile formats
 * 5.4, 6.0, 9.0), yarn classic and yarn berry install the same small manifest; each lockfile's
 * inventory must equal what the tool itself lists (pnpm ls) or installed (node_modules), and
 * dev/direct flags must follow the manifest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { requireOrSkip } from '../../../helpers/shared-data.ts';
import { parsePnpmLock } from '../../../../src/analyzers/lang/npm/pnpm-lock.ts';
import { classifyYarnEntries, parseYarnLock } from '../../../../src/analyzers/lang/npm/yarn-lock.ts';
import { analyzeNpmFile, finalizeNpm, npmRequired } from '../../../../src/analyzers/lang/npm/index.ts';
import type { NpmFragment } from '../../../../src/analyzers/lang/npm/index.ts';
import type { Fragment } from '../../../../src/analyzers/types.ts';

const run = promisify(execFile);

const MANIFEST = {
  name: 'probe', version: '1.0.0', private: true,
  dependencies: { debug: '^4.3.0', sw: 'npm:string-width@^4.2.0' },
  devDependencies: { 'is-number': '7.0.0', ms: '2.0.0' },
};

function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

function installedInventory(dir: string): string[] {
  const fragments: Fragment<NpmFragment>[] = [];
  for (const rel of walk(dir, 'node_modules')) {
    const p = `app/${rel}`;
    if (!npmRequired(p)) continue;
    const value = analyzeNpmFile(p, readFileSync(path.join(dir, rel)));
    if (value) fragments.push({ path: p, layerIndex: 0, layerDigest: '', value });
  }
  return [...new Set((finalizeNpm(fragments).packages ?? []).map((p) => `${p.name}@${p.version}`))].sort();
}

interface PnpmLsNode { version?: string; from?: string; dependencies?: Record<string, PnpmLsNode>; devDependencies?: Record<string, PnpmLsNode> }

function flattenPnpmLs(nodes: PnpmLsNode[]): string[] {
  const out = new Set<string>();
  const visit = (n: PnpmLsNode): void => {
    for (const [key, c] of [...Object.entries(n.dependencies ?? {}), ...Object.entries(n.devDependencies ?? {})]) {
      // pnpm ls keys aliases by alias name; `from` is the real package name.
      if (c.version) out.add(`${c.from ?? key}@${c.version}`);
      visit(c);
    }
  };
  nodes.forEach(visit);
  return [...out].sort();
}

const ids = (pkgs: { name: string; version: string }[]): string[] => [...new Set(pkgs.map((p) => `${p.name}@${p.version}`))].sort();

test('pnpm 7/8/9 and yarn classic/berry lockfiles equal the installed trees', { timeout: 600_000 }, async (t) => {
  const ping = spawnSync('npm', ['ping'], { timeout: 20_000, stdio: 'ignore' });
  if (!requireOrSkip(t, ping.status === 0, 'npm registry')) return;
  const base = mkdtempSync(path.join(tmpdir(), 'pw-lockfiles-'));
  // Under CI the tools default to frozen/immutable lockfiles; these installs must write them.
  const env: NodeJS.ProcessEnv = { ...process.env, COREPACK_ENABLE_STRICT: '0' };
  delete env.CI;
  const tools: [string, string[]][] = [
    ['pnpm7', ['--yes', 'pnpm@7', 'install', '--ignore-scripts', '--reporter=silent']],
    ['pnpm8', ['--yes', 'pnpm@8', 'install', '--ignore-scripts', '--reporter=silent']],
    ['pnpm9', ['--yes', 'pnpm@9', 'install', '--ignore-scripts', '--reporter=silent']],
    ['yarn1', ['--yes', 'yarn@1', 'install', '--ignore-scripts', '--silent', '--no-progress']],
    ['berry', ['--yes', '@yarnpkg/cli-dist@4', 'install', '--mode=skip-build']],
  ];
  try {
    const dirs = new Map<string, string>();
    for (const [name] of tools) {
      const dir = path.join(base, name);
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify(MANIFEST));
      dirs.set(name, dir);
    }
    await Promise.all(tools.map(([name, args]) => run('npx', args, { cwd: dirs.get(name), env, timeout: 400_000 })));
    const manifest = {
      dependencies: Object.entries(MANIFEST.dependencies),
      devDependencies: Object.entries(MANIFEST.devDependencies),
    };

    for (const [name, version] of [['pnpm7', '5.4'], ['pnpm8', '6.0'], ['pnpm9', '9.0']] as const) {
      const dir = dirs.get(name) ?? '';
      const lockText = readFileSync(path.join(dir, 'pnpm-lock.yaml'));
      assert.match(lockText.toString(), new RegExp(`^lockfileVersion: '?${version.replace('.', '\\.')}'?`, 'm'), name);
      const lock = parsePnpmLock(lockText, 'pnpm-lock.yaml');
      const { stdout } = await run('npx', ['--yes', `pnpm@${name.slice(4)}`, 'ls', '--depth', 'Infinity', '--json'], { cwd: dir, env });
      assert.deepEqual(ids(lock), flattenPnpmLs(JSON.parse(stdout) as PnpmLsNode[]), `${name}: lockfile vs pnpm ls`);
      assert.deepEqual(ids(lock), installedInventory(dir), `${name}: lockfile vs node_modules/.pnpm`);
      assert.deepEqual(lock.filter((p) => p.dev).map((p) => `${p.name}@${p.version}`).sort(), ['is-number@7.0.0', 'ms@2.0.0'], name);
      assert.deepEqual(lock.filter((p) => p.indirect === false).map((p) => p.name).sort(), ['debug', 'is-number', 'ms', 'string-width'], name);
    }

    const classic = classifyYarnEntries(parseYarnLock(readFileSync(path.join(dirs.get('yarn1') ?? '', 'yarn.lock')), 'yarn.lock'), manifest);
    assert.deepEqual(ids(classic), installedInventory(dirs.get('yarn1') ?? ''), 'yarn classic: lockfile vs node_modules');
    const berry = classifyYarnEntries(parseYarnLock(readFileSync(path.join(dirs.get('berry') ?? '', 'yarn.lock')), 'yarn.lock'), manifest);
    assert.deepEqual(ids(berry), ids(classic), 'yarn berry resolves the same set');
    for (const entries of [classic, berry]) {
      assert.deepEqual(entries.filter((p) => p.dev).map((p) => `${p.name}@${p.version}`).sort(), ['is-number@7.0.0', 'ms@2.0.0']);
      assert.deepEqual(entries.filter((p) => p.indirect === false).map((p) => p.name).sort(), ['debug', 'is-number', 'ms', 'string-width']);
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
