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

// The CLI loads every command group at start-up, so each process costs seconds on a busy machine:
// all runs start at once and the tests below await their own.
const LARGE_N = 50_000;
const largeInput = Array.from({ length: LARGE_N }, (_, i) => (i % 1000 === 0 ? `bad version\t1.${i}` : `1.${i}\t1.${i + 1}`)).join('\n');
const runs = {
  debian: run(['--ecosystem', 'Debian:12'], ['1.0\t1.0-1', '1:0\t2.0', '', '1.0 x\t1', 'no-tab', '2.0~rc1\t2.0\r', 'a\tb\tc', '1.0\t1.0'].join('\n') + '\n'),
  pep440: run(['--scheme', 'pep440'], '1.0.dev1\t1.0a1\n1.0+local\t1.0\nnot a version\t1\n'),
  redhat: run(['--ecosystem', 'red hat:enterprise_linux:9::appstream'], '1.0~rc1\t1.0\n1:1.0\t2.0\n'),
  unknown: run(['--ecosystem', 'NoSuchEcosystem'], '1.0\t1.0.0\n1.9\t1.10\n2.0-rc1\t2.0\n'),
  badScheme: run(['--scheme', 'nope'], ''),
  noFlag: run([], ''),
  bothFlags: run(['--scheme', 'dpkg', '--ecosystem', 'Debian'], ''),
  large: run(['--scheme', 'dpkg'], largeInput),
};

describe('debug compare-versions', () => {
  test('prints one verdict per line, ! for bad lines with the line number on stderr', async () => {
    const r = await runs.debian;
    assert.equal(r.code, 0);
    assert.deepEqual(r.stdout.split('\n'), ['<', '>', '!', '!', '!', '<', '!', '=', '']);
    assert.match(r.stderr, /line 3: empty line/);
    assert.match(r.stderr, /line 4: invalid dpkg version "1\.0 x"/);
    assert.match(r.stderr, /line 5: expected/);
    assert.match(r.stderr, /line 7: expected/);
    assert.doesNotMatch(r.stderr, /line (1|2|6|8):/);
  });

  test('--scheme selects a scheme directly; ecosystem names match case-insensitively before ":"', async () => {
    assert.deepEqual((await runs.pep440).stdout.split('\n'), ['<', '>', '!', '']);
    assert.deepEqual((await runs.redhat).stdout.split('\n'), ['<', '>', '']);
  });

  test('unknown ecosystem warns once and uses the generic scheme', async () => {
    const r = await runs.unknown;
    assert.equal(r.code, 0);
    assert.deepEqual(r.stdout.split('\n'), ['=', '<', '<', '']);
    assert.equal(r.stderr.match(/generic/g)?.length, 1);
  });

  test('bad flags exit 2', async () => {
    assert.equal((await runs.badScheme).code, 2);
    assert.equal((await runs.noFlag).code, 2);
    assert.equal((await runs.bothFlags).code, 2);
  });

  test('streams a large input and keeps outputs aligned', async () => {
    const r = await runs.large;
    assert.equal(r.code, 0);
    const out = r.stdout.split('\n');
    assert.equal(out.length, LARGE_N + 1);
    for (let i = 0; i < LARGE_N; i++) assert.equal(out[i], i % 1000 === 0 ? '!' : '<', `line ${i + 1}`);
    assert.equal(r.stderr.split('\n').filter(Boolean).length, LARGE_N / 1000);
  });
});
