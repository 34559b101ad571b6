/**
 * The CLI loads the scanner (analyzers, image sources, SQLite, renderers) only when a command needs
 * it: `--help`, `--version`, `serve` and `db status` start without it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../helpers/shared-data.ts';

/** CommonJS packages from node_modules loaded after running `script` in a fresh process. */
function packagesLoadedBy(script: string): string[] {
  const probe = `${script}
const { createRequire } = await import('node:module');
const loaded = Object.keys(createRequire(import.meta.url).cache)
  .map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(f)?.[1])
  .filter(Boolean);
process.stdout.write(JSON.stringify([...new Set(loaded)].sort()));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[];
}

test('registering every command loads none of the scanner\'s dependencies', () => {
  const loaded = packagesLoadedBy(`const { Command } = await import('commander');
const { COMMANDS } = await import('./src/cli/commands/index.ts');
const program = new Command('portwarden');
for (const register of COMMANDS) register(program);`);
  for (const heavy of ['better-sqlite3', 'undici', 'tar-stream', 'fflate', 'packageurl-js']) assert.ok(!loaded.includes(heavy), `${heavy} loaded at start-up: ${loaded.join(', ')}`);
});

test('the scanner\'s modules load on demand and bring what a scan needs', () => {
  const loaded = packagesLoadedBy(`const { loadScanner } = await import('./src/cli/lazy.ts');
const s = await loadScanner();
if (typeof s.scanTarget !== 'function' || typeof s.renderReport !== 'function') throw new Error('incomplete');`);
  for (const needed of ['better-sqlite3', 'undici', 'tar-stream']) assert.ok(loaded.includes(needed), `${needed} not loaded: ${loaded.join(', ')}`);
});
