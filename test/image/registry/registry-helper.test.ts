import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import { buildImage, pushImage } from '../../helpers/image-builder.ts';
import { freePort, registryAvailable, startRegistry } from '../../helpers/registry.ts';
import { REPO_ROOT, requireOrSkip } from '../../helpers/shared-data.ts';

const run = promisify(execFile);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

describe('test registry helper', () => {
  test('stop() ends the registry process and removes its storage', async (t) => {
    if (!requireOrSkip(t, registryAvailable(), 'docker-registry')) return;
    const reg = await startRegistry({ auth: 'basic' });
    assert.equal((await fetch(`${reg.url}/v2/`)).status, 401);
    const ok = await fetch(`${reg.url}/v2/`, { headers: { authorization: `Basic ${Buffer.from(`${reg.username}:${reg.password}`).toString('base64')}` } });
    assert.equal(ok.status, 200);
    assert.ok(reg.pid);
    await reg.stop();
    assert.equal(await waitFor(() => !alive(reg.pid ?? 0), 5000), true);
    assert.equal(existsSync(reg.rootDir), false);
  });

  test('a test process that exits without stop() leaves no registry behind', async (t) => {
    if (!requireOrSkip(t, registryAvailable(), 'docker-registry')) return;
    const script = `import { startRegistry } from './test/helpers/registry.ts'; const r = await startRegistry(); console.log(JSON.stringify({ pid: r.pid, root: r.rootDir })); process.exit(0);`;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT });
    const { pid, root } = JSON.parse(stdout.trim()) as { pid: number; root: string };
    assert.equal(await waitFor(() => !alive(pid), 5000), true, `registry ${pid} still running`);
    assert.equal(existsSync(root), false);
  });

  test('a test process killed by SIGTERM still takes its registry down', async (t) => {
    if (!requireOrSkip(t, registryAvailable(), 'docker-registry')) return;
    const { spawn } = await import('node:child_process');
    const script = `import { startRegistry } from './test/helpers/registry.ts'; const r = await startRegistry(); console.log(JSON.stringify({ pid: r.pid, root: r.rootDir })); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      child.once('exit', (code) => reject(new Error(`helper process exited early (${code})`)));
    });
    const { pid, root } = JSON.parse(line) as { pid: number; root: string };
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGTERM');
    assert.equal(await exited, 'SIGTERM', 'the process still dies of the signal');
    assert.equal(await waitFor(() => !alive(pid), 5000), true, `registry ${pid} still running`);
    assert.equal(existsSync(root), false);
  });

  test('notifications deliver push events to the configured endpoint', async (t) => {
    if (!requireOrSkip(t, registryAvailable(), 'docker-registry')) return;
    const events: { action: string; target: { repository: string; tag?: string; digest: string } }[] = [];
    const seenHeaders: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seenHeaders.push(String(req.headers['x-portwarden-test']));
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { events: typeof events };
        events.push(...body.events);
        res.writeHead(200).end();
      });
    });
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => server.close(() => r())));
    const reg = await startRegistry({ notifications: { url: `http://127.0.0.1:${port}/events`, headers: { 'X-Portwarden-Test': ['yes'] } } });
    t.after(() => reg.stop());
    const img = await buildImage({ layers: [{ files: [{ path: 'n', content: 'n' }] }] });
    const { digest } = await pushImage(reg, 'notify/me', 'v1', img);
    const arrived = await waitFor(() => events.some((e) => e.action === 'push' && e.target.digest === digest), 10_000);
    assert.ok(arrived, `no push event for ${digest}; got ${JSON.stringify(events.map((e) => e.action))}`);
    const push = events.find((e) => e.action === 'push' && e.target.digest === digest);
    assert.equal(push?.target.repository, 'notify/me');
    assert.equal(push?.target.tag, 'v1');
    assert.ok(seenHeaders.includes('yes'));
  });
});
