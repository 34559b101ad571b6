/**
 * Differential check against librpm itself (Debian's python3-rpm 4.18: sqlite and bdb_ro backends;
 * it has no ndb backend, so the SUSE NDB fixture is covered by its upstream expected list only).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseRpmDb } from '../../../src/analyzers/os/rpm/index.ts';
import { haveSharedData, requireOrSkip, sharedData } from '../../helpers/shared-data.ts';

const PYTHON = '/usr/bin/python3';

const SCRIPT = `
import json, sys, rpm
dbpath, backend = sys.argv[1], sys.argv[2]
rpm.addMacro('_dbpath', dbpath)
rpm.addMacro('_db_backend', backend)
ts = rpm.TransactionSet()
ts.setVSFlags(rpm._RPMVSF_NOSIGNATURES | rpm._RPMVSF_NODIGESTS)
def s(v):
    return v.decode() if isinstance(v, bytes) else v
for h in ts.dbMatch():
    print(json.dumps([s(h['name']), h['epoch'], s(h['version']), s(h['release']), s(h['arch']) or '', s(h['sourcerpm']) or '',
                      sorted(s(f).lstrip('/') for f in h['filenames'])]))
ts.closeDB()
`;

function haveLibrpm(): boolean {
  return spawnSync(PYTHON, ['-c', 'import rpm'], { stdio: 'ignore' }).status === 0;
}

const CASES: Array<[string, string, string]> = [
  ['go-rpmdb-cbl-mariner2-sqlite', 'rpmdb.sqlite', 'sqlite'],
  ['go-rpmdb-libuuid-bdb', 'Packages', 'bdb_ro'],
  ['syft-dive-bdb', 'Packages', 'bdb_ro'],
  ['scalibr-epoch-bdb', 'Packages', 'bdb_ro'],
];

describe('rpm differential against librpm (python3-rpm)', () => {
  for (const [c, file, backend] of CASES) {
    test(`${c} via ${backend}`, (t) => {
      if (!requireOrSkip(t, haveLibrpm(), 'python3-rpm (apt-get install python3-rpm)')) return;
      if (!haveSharedData(t, 'pkgdb-fixtures/rpm', c)) return;
      const src = sharedData('pkgdb-fixtures/rpm', c, 'input/var/lib/rpm', file);
      // librpm writes -shm/-wal and index files next to the db, so it gets a private copy.
      const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-rpmdb-'));
      try {
        copyFileSync(src, path.join(dir, file));
        const out = execFileSync(PYTHON, ['-c', SCRIPT, dir, backend], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
        // Re-sort in JS: Python orders non-ASCII strings by code point, JS by UTF-16 unit.
        const oracle = out.split('\n').filter(Boolean).map((l) => {
          const row = JSON.parse(l) as unknown[];
          return JSON.stringify([...row.slice(0, 6), [...(row[6] as string[])].sort()]);
        }).sort();
        const ours = parseRpmDb(readFileSync(src), file).packages
          .map((p) => JSON.stringify([p.name, p.epoch ?? null, p.version, p.release, p.arch, p.sourceRpm, [...p.files].sort()])).sort();
        assert.ok(oracle.length > 0);
        assert.deepEqual(ours, oracle);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
