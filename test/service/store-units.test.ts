import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { FsObjectStore, assertObjectKey, reportKey, sbomKey } from '../../src/store/objects.ts';
import { decodeCursor, encodeCursor } from '../../src/store/scans.ts';
import { hashToken, parseScopes } from '../../src/store/tokens.ts';
import { UserInputError } from '../../src/util/errors.ts';

describe('object store', () => {
  test('put/get/delete round trip, atomic (no temp files left), missing → undefined', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-obj-'));
    try {
      const store = new FsObjectStore(dir);
      const key = reportKey('0b9c6a3e-1111-4222-8333-444455556666');
      await store.put(key, '{"a":1}');
      await store.put(key, '{"a":2}');
      assert.equal((await store.get(key))?.toString(), '{"a":2}');
      assert.deepEqual(readdirSync(path.join(dir, 'reports')), ['0b9c6a3e-1111-4222-8333-444455556666.json']);
      assert.equal(await store.get('reports/none.json'), undefined);
      await store.delete(key);
      assert.equal(await store.get(key), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('keys cannot escape the root', () => {
    for (const k of ['../x', 'a/../../b', '/etc/passwd', 'a//b', '', 'A/B', 'a\\b', 'a/./b']) assert.throws(() => assertObjectKey(k), /invalid object key/, k);
    assertObjectKey(sbomKey(`sha256:${'a'.repeat(64)}`, 'linux/arm64/v8'));
    assert.equal(sbomKey(`sha256:${'a'.repeat(64)}`, ''), `sboms/${'a'.repeat(64)}.json`);
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (s) => {
      try {
        assertObjectKey(s);
        assert.ok(!s.split('/').includes('..') && !s.startsWith('/'));
      } catch (err) {
        assert.match(String(err), /invalid object key/);
      }
    }), { numRuns: 500 });
  });
});

describe('cursors and tokens', () => {
  test('cursor round trip; garbage is a 400-class error', () => {
    const pos = { ts: '2026-11-23T09:00:00.123456', id: '0b9c6a3e-1111-4222-8333-444455556666' };
    assert.deepEqual(decodeCursor(encodeCursor(pos)), pos);
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => {
      try {
        decodeCursor(s);
      } catch (err) {
        assert.ok(err instanceof UserInputError);
      }
    }), { numRuns: 500 });
  });

  test('scopes are validated; tokens are stored as sha256', () => {
    assert.deepEqual(parseScopes('scan:read, scan:write,scan:read'), ['scan:read', 'scan:write']);
    assert.throws(() => parseScopes('scan:delete'), /unknown scope "scan:delete"/);
    assert.throws(() => parseScopes(' , '), /at least one/);
    assert.equal(hashToken('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.match(hashToken('pw_x'), /^[0-9a-f]{64}$/);
    assert.notEqual(hashToken('pw_x'), hashToken('pw_y'));
  });
});
