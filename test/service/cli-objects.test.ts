/**
 * What a user sees from `serve`/`worker` for the settings of this area: the deprecated `--db-path`
 * alias warns in one line and still works; an S3 store with a wrong secret stops `serve` at once
 * with a message that says what to check and does not echo the secret.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { freePort } from '../helpers/registry.ts';
import { startS3Server } from '../helpers/s3-server.ts';
import type { TestS3Server } from '../helpers/s3-server.ts';

// The machine's own S3/AWS/advisory settings must not leak into these runs.
const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, env, { dropEnv: /^(AWS_|PORTWARDEN_S3_|PORTWARDEN_DB|PORTWARDEN_OBJECT|DATABASE_URL)/ });

describe('serve/worker CLI: --db alias and S3 start-up errors', () => {
  let home: string;
  let s3: TestS3Server | undefined;
  before(async () => {
    home = mkdtempSync(path.join(os.tmpdir(), 'pw-cli-objects-'));
    s3 = await startS3Server();
    await s3?.createBucket('pw-cli');
  });
  after(async () => {
    await s3?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  test('worker --db-path and PORTWARDEN_DB_PATH: one deprecation line each, then the usual checks', async () => {
    const flag = await cli(['worker', '--home', home, '--db-path', path.join(home, 'adv.db')]);
    assert.equal(flag.code, 2);
    const lines = flag.stderr.trim().split('\n');
    assert.deepEqual(lines.filter((l) => /deprecated/.test(l)), ['portwarden: warning: --db-path is deprecated; use --db']);
    assert.match(flag.stderr, /--database-url/);
    const env = await cli(['worker', '--home', home], { PORTWARDEN_DB_PATH: path.join(home, 'adv.db') });
    assert.match(env.stderr, /^portwarden: warning: PORTWARDEN_DB_PATH is deprecated; use PORTWARDEN_DB$/m);
    const current = await cli(['worker', '--home', home, '--db', path.join(home, 'adv.db')]);
    assert.doesNotMatch(current.stderr, /deprecated/);
  });

  test('serve with a wrong S3 secret exits 1 naming the problem, without the secret', async (t) => {
    if (!s3) return t.skip('no S3 server');
    const r = await cli(
      ['serve', '--home', home, '--port', String(await freePort()), '--log-level', 'silent', '--object-store', 's3://pw-cli/x', '--s3-endpoint', s3.endpoint],
      { PORTWARDEN_S3_ACCESS_KEY_ID: s3.credentials.accessKeyId, PORTWARDEN_S3_SECRET_ACCESS_KEY: 'definitely-wrong-secret' },
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^error: S3 at http:\/\/127\.0\.0\.1:\d+ rejected the credentials for GetObject s3:\/\/pw-cli\/x\/\.portwarden-readiness-probe: the secret access key does not match/m);
    assert.ok(!r.stderr.includes('definitely-wrong-secret'));
    const noCreds = await cli(['serve', '--home', home, '--port', '0', '--object-store', 's3://pw-cli']);
    assert.equal(noCreds.code, 2);
    assert.match(noCreds.stderr, /object-store s3 needs credentials/);
  });
});
