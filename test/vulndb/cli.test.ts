import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, haveSharedData, sharedData } from '../helpers/shared-data.ts';
import { tempDir } from './helpers.ts';
import { SCHEMA_VERSION } from '../../src/vulndb/store.ts';

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'portwarden.js'), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('portwarden db CLI', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());
  const db = path.join(tmp.dir, 'adv.db');

  test('status without a database: exit 1 and the hint to run update/import', () => {
    const r = cli(['db', 'status', '--db', db]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), `error: no advisory database at ${db}; run \`portwarden db update\` or \`portwarden db import\``);
  });

  test('import then status (json) shows the snapshot, sources and ecosystems', (t) => {
    if (!haveSharedData(t, 'osv', 'samples')) return;
    const imp = cli(['db', 'import', sharedData('osv', 'samples'), '--db', db, '--replace']);
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(imp.stdout, /^imported 20 record\(s\) from \d+ file\(s\)/);
    const st = cli(['db', 'status', '--db', db, '--format', 'json']);
    assert.equal(st.code, 0, st.stderr);
    const status = JSON.parse(st.stdout) as { snapshot: string; schemaVersion: number; sources: { name: string; records: number }[]; ecosystems: { ecosystem: string }[]; withdrawn: number };
    assert.equal(status.schemaVersion, SCHEMA_VERSION);
    assert.equal(status.sources[0]?.records, 20);
    assert.equal(status.withdrawn, 1);
    assert.ok(status.ecosystems.some((e) => e.ecosystem === 'Go'));
    assert.ok(status.ecosystems.some((e) => e.ecosystem === 'AlmaLinux:8'));
  });

  test('update with --all and --ecosystem is a usage error (exit 2); an unreachable source is exit 1 with the offline message', () => {
    assert.equal(cli(['db', 'update', '--db', db, '--all', '--ecosystem', 'PyPI']).code, 2);
    const r = cli(['db', 'update', '--db', db, '--ecosystem', 'PyPI', '--quiet'], { PORTWARDEN_OSV_BASE_URL: 'http://127.0.0.1:9' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot reach http:\/\/127\.0\.0\.1:9\/PyPI\/all\.zip: .*is still in use/);
  });
});
