/** `portwarden debug compare-versions`, run as a real process. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/shared-data.ts';

function run(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/portwarden.js'), 'debug', 'compare-versions', ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('debug compare-versions', () => {
  test('prints one verdict per line, ! for bad lines with the line number on stderr', async () => {
    const input = ['1.0\t1.0-1', '1:0\t2.0', '', '1.0 x\t1', 'no-tab', '2.0~rc1\t2.0\r', 'a\tb\tc', '1.0\t1.0'].join('\n') + '\n';
    const r = await run(['--ecosystem', 'Debian:12'], input);
    assert.equal(r.code, 0);
    assert.deepEqual(r.stdout.split('\n'), ['<', '>', '!', '!', '!', '<', '!', '=', '']);
    assert.match(r.stderr, /line 3: empty line/);
    assert.match(r.stderr, /line 4: invalid dpkg version "1\.0 x"/);
    assert.match(r.stderr, /line 5: expected/);
    assert.match(r.stderr, /line 7: expected/);
    assert.doesNotMatch(r.stderr, /line (1|2|6|8):/);
  });

  test('--scheme selects a scheme directly; ecosystem names match case-insensitively before ":"', async () => {
    const pep = await run(['--scheme', 'pep440'], '1.0.dev1\t1.0a1\n1.0+local\t1.0\nnot a version\t1\n');
    assert.deepEqual(pep.stdout.split('\n'), ['<', '>', '!', '']);
    const rh = await run(['--ecosystem', 'red hat:enterprise_linux:9::appstream'], '1.0~rc1\t1.0\n1:1.0\t2.0\n');
    assert.deepEqual(rh.stdout.split('\n'), ['<', '>', '']);
  });

  test('unknown ecosystem warns once and uses the generic scheme', async () => {
    const r = await run(['--ecosystem', 'NoSuchEcosystem'], '1.0\t1.0.0\n1.9\t1.10\n2.0-rc1\t2.0\n');
    assert.equal(r.code, 0);
    assert.deepEqual(r.stdout.split('\n'), ['=', '<', '<', '']);
    assert.equal(r.stderr.match(/generic/g)?.length, 1);
  });

  test('bad flags exit 2 without reading input', async () => {
    assert.equal((await run(['--scheme', 'nope'], '')).code, 2);
    assert.equal((await run([], '')).code, 2);
    assert.equal((await run(['--scheme', 'dpkg', '--ecosystem', 'Debian'], '')).code, 2);
  });

  test('streams a large input and keeps outputs aligned', async () => {
    const n = 50_000;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(i % 1000 === 0 ? `bad version\t1.${i}` : `1.${i}\t1.${i + 1}`);
    const r = await run(['--scheme', 'dpkg'], lines.join('\n'));
    assert.equal(r.code, 0);
    const out = r.stdout.split('\n');
    assert.equal(out.length, n + 1);
    for (let i = 0; i < n; i++) assert.equal(out[i], i % 1000 === 0 ? '!' : '<', `line ${i + 1}`);
    assert.equal(r.stderr.split('\n').filter(Boolean).length, n / 1000);
  });
});
