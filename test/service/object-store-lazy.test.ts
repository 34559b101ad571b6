/**
 * The S3 code (objects-s3.ts, s3-client.ts, aws4fetch) is loaded only when the S3 store is
 * configured: the service's module graph plus a filesystem store never resolves those modules.
 * Checked in a child process whose module resolution is traced by a resolve hook.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../helpers/shared-data.ts';

const run = promisify(execFile);

const HOOK = `export async function resolve(s, c, next) { const r = await next(s, c); if (/aws4fetch|objects-s3|s3-client/.test(r.url)) process.stderr.write('LOADED ' + r.url + '\\n'); return r; }`;
const REGISTER = `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}));`;

async function s3ModulesLoaded(objectStore: 'fs' | 's3', home: string): Promise<string[]> {
  const src = (f: string) => JSON.stringify(path.join(REPO_ROOT, 'src', f));
  // The whole service module graph is imported (what `serve` loads), then the configured store opened.
  const script = `
    const { loadConfig } = await import(${src('config/index.ts')});
    await import(${src('service/server.ts')});
    const { objectStoreOptions } = await import(${src('config/object-store.ts')});
    const { openObjectStore } = await import(${src('store/objects.ts')});
    const flags = { home: ${JSON.stringify(home)}, ...(${JSON.stringify(objectStore)} === 's3' ? { objectStore: 's3://pw-lazy', s3Endpoint: 'http://127.0.0.1:9' } : {}) };
    const store = await openObjectStore(objectStoreOptions(loadConfig({ env: {}, flags })));
    await store.close();
    process.stderr.write('OPENED ' + store.describe() + '\\n');`;
  const { stderr } = await run(process.execPath, ['--import', 'tsx', '--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, '--input-type=module', '-e', script], {
    cwd: REPO_ROOT, timeout: 120000,
    env: { ...process.env, PORTWARDEN_S3_ACCESS_KEY_ID: 'lazy-test', PORTWARDEN_S3_SECRET_ACCESS_KEY: 'lazy-test' },
  });
  assert.match(stderr, objectStore === 's3' ? /OPENED S3 s3:\/\/pw-lazy\// : /OPENED filesystem /);
  return stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => path.basename(l));
}

test('the service on the filesystem store never loads the S3 modules; the S3 store does', async (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'pw-lazy-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  assert.deepEqual(await s3ModulesLoaded('fs', home), []);
  assert.deepEqual((await s3ModulesLoaded('s3', home)).sort(), ['aws4fetch.esm.mjs', 'objects-s3.ts', 's3-client.ts']);
});
