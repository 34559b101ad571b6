/**
 * The service commands as a user runs them: `migrate`, `token create`, `serve` (embedded store,
 * no flags but a home and a port), `worker` without PostgreSQL.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PORTWARDEN_BIN, runCli } from '../helpers/cli.ts';
import { freePort } from '../helpers/registry.ts';

const BIN = PORTWARDEN_BIN;
const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, env);

describe('service CLI', () => {
  let home: string;
  before(() => { home = mkdtempSync(path.join(os.tmpdir(), 'pw-cli-')); });
  after(() => rmSync(home, { recursive: true, force: true }));

  test('migrate, token create, serve with auth, graceful stop; worker needs PostgreSQL', async () => {
    const m = await cli(['migrate', '--home', home]);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /applied: 0001_initial/);

    const created = await cli(['token', 'create', '--name', 'reader', '--scope', 'scan:read'], { PORTWARDEN_HOME: home });
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.match(token, /^pw_[A-Za-z0-9_-]{43}$/);
    const badScope = await cli(['token', 'create', '--name', 'x', '--scope', 'root', '--home', home]);
    assert.equal(badScope.code, 2);
    assert.match(badScope.stderr, /unknown scope "root"/);

    const noPg = await cli(['worker', '--home', home], { DATABASE_URL: '' });
    assert.equal(noPg.code, 2);
    assert.match(noPg.stderr, /--database-url/);

    const port = await freePort();
    const server = spawn(process.execPath, [BIN, 'serve', '--home', home, '--port', String(port), '--log-level', 'silent', '--no-worker'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    server.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));
    try {
      const base = `http://127.0.0.1:${port}`;
      const end = Date.now() + 60000;
      for (;;) {
        const ok = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
        if (ok) break;
        assert.ok(Date.now() < end && server.exitCode === null, `server did not come up: ${stderr}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.match(stderr, /no workers/);
      // A token exists, so even on loopback anonymous access is off.
      assert.equal((await fetch(`${base}/scans`)).status, 401);
      assert.equal((await fetch(`${base}/scans`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      const post = await fetch(`${base}/scans`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'docker-image', target: 'nginx:latest' }) });
      assert.equal(post.status, 403);
      server.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (server.exitCode === null) server.kill('SIGKILL');
    }
  });
});
