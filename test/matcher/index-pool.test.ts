import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { importAdvisories } from '../../src/vulndb/import.ts';
import { AdvisoryIndexPool, matchPackages } from '../../src/matcher/index.ts';
import { PortwardenError } from '../../src/util/errors.ts';
import { osvRecord, pkg, tempDir } from '../vulndb/helpers.ts';

describe('advisory index pool (shared handles for long-running workers)', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());
  const input = (name: string, record: Record<string, unknown>) => {
    const dir = path.join(tmp.dir, `in-${name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(record));
    return dir;
  };
  const leftPad = [pkg({ name: 'left-pad', version: '1.0.0', ecosystem: 'npm' })];
  const ids = (index: Parameters<typeof matchPackages>[2]) => matchPackages(leftPad, undefined, index).vulnerabilities.map((v) => v.id);
  const closedError = /connection is not open/;

  test('one handle per file version; a replaced file gets a new one and the old closes with its last user', async () => {
    const db = path.join(tmp.dir, 'a', 'advisories.db');
    await importAdvisories([input('one', osvRecord('GHSA-aaaa-0001', 'npm', 'left-pad', [{ introduced: '0' }, { fixed: '1.3.0' }], { aliases: ['CVE-2024-0001'] }))], { dbPath: db, replace: true });
    const pool = new AdvisoryIndexPool();
    const first = pool.acquire(db);
    const again = pool.acquire(path.join(tmp.dir, 'a', '.', 'advisories.db'));
    assert.equal(again.index, first.index, 'the same file: the same handle');
    assert.equal(first.index.pages, 'mapped', 'pooled handles outlive their jobs: mapped');
    again.release();
    again.release(); // a second release does nothing
    const before = first.index.snapshot;

    // `db import` replaces the file by rename while a job still holds the old handle.
    await importAdvisories([input('two', osvRecord('GHSA-aaaa-0002', 'npm', 'left-pad', [{ introduced: '0' }, { fixed: '2.0.0' }], { aliases: ['CVE-2024-0002'] }))], { dbPath: db });
    const next = pool.acquire(db);
    assert.notEqual(next.index, first.index);
    assert.notEqual(next.index.snapshot, before);
    assert.deepEqual(ids(next.index), ['CVE-2024-0001', 'CVE-2024-0002']);
    assert.deepEqual(ids(first.index), ['CVE-2024-0001'], 'the job holding the old snapshot still matches against it');
    first.release();
    assert.throws(() => ids(first.index), closedError, 'closed once its last user released it');
    next.release();
    const later = pool.acquire(db);
    assert.equal(later.index, next.index, 'the current handle stays open between jobs');
    assert.deepEqual(ids(later.index), ['CVE-2024-0001', 'CVE-2024-0002']);
    later.release();
    assert.equal(pool.openHandles, 1);

    pool.close();
    assert.throws(() => ids(next.index), closedError, 'close() closes idle handles');
    assert.throws(() => pool.acquire(db), /pool is closed/);
  });

  test('a handle lent out when the pool closes stays usable until released', async () => {
    const db = path.join(tmp.dir, 'b', 'advisories.db');
    await importAdvisories([input('three', osvRecord('GHSA-bbbb-0001', 'npm', 'left-pad', [{ introduced: '0' }, { fixed: '1.3.0' }]))], { dbPath: db, replace: true });
    const pool = new AdvisoryIndexPool();
    const lease = pool.acquire(db);
    pool.close();
    assert.deepEqual(ids(lease.index), ['GHSA-bbbb-0001']);
    lease.release();
    assert.throws(() => ids(lease.index), closedError);
  });

  test('a missing or removed file: the error that says what to run, and the stale handle is dropped', async () => {
    const db = path.join(tmp.dir, 'c', 'advisories.db');
    const pool = new AdvisoryIndexPool();
    const missing = (err: unknown) => err instanceof PortwardenError && err.code === 'db_missing' && /run `portwarden db update`/.test(err.message);
    assert.throws(() => pool.acquire(db), missing);
    await importAdvisories([input('four', osvRecord('GHSA-cccc-0001', 'npm', 'left-pad', [{ introduced: '0' }, { fixed: '1.3.0' }]))], { dbPath: db, replace: true });
    const lease = pool.acquire(db);
    lease.release();
    rmSync(db);
    assert.throws(() => pool.acquire(db), missing);
    assert.equal(pool.openHandles, 0);
    assert.throws(() => ids(lease.index), closedError);
    pool.close();
  });
});
