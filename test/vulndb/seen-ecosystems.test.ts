import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {
  inventoryEcosystems, osvExportName, parseSeenEcosystems, readSeenEcosystems, recordSeenEcosystems, seenEcosystemsPath,
} from '../../src/vulndb/seen-ecosystems.ts';
import { tempDir } from './helpers.ts';

describe('seen ecosystems', () => {
  const tmp = tempDir('pw-seen-');
  after(() => tmp.cleanup());
  let n = 0;
  const file = (): string => path.join(tmp.dir, `case-${++n}`, 'seen-ecosystems.json');

  test('inventory ecosystems map to OSV.dev export names (one export per distribution)', () => {
    const cases: [string, string | undefined][] = [
      ['Debian:12', 'Debian'], ['Alpine:v3.18', 'Alpine'], ['Ubuntu:22.04:LTS', 'Ubuntu'], ['Ubuntu:Pro:18.04:LTS', 'Ubuntu'],
      ['Red Hat:9', 'Red Hat'], ['Rocky Linux:9', 'Rocky Linux'], ['openSUSE:Leap 15.5', 'openSUSE'], ['SUSE:Linux Enterprise Server 15 SP5', 'SUSE'],
      ['Wolfi', 'Wolfi'], ['npm', 'npm'], ['PyPI', 'PyPI'], ['crates.io', 'crates.io'], ['Go', 'Go'],
      ['', undefined], ['../etc', undefined], ['a/b', undefined], ['x\ny', undefined],
    ];
    for (const [ecosystem, expected] of cases) assert.equal(osvExportName(ecosystem), expected, ecosystem);
    assert.deepEqual(inventoryEcosystems({ packages: [{ ecosystem: 'npm' }, { ecosystem: '' }, { ecosystem: 'npm' }], os: { ecosystem: 'Alpine:v3.19' } }), ['Alpine:v3.19', 'npm']);
  });

  test('the record sits next to the advisory index', () => {
    assert.equal(seenEcosystemsPath('/srv/pw/db/advisories.db'), '/srv/pw/db/seen-ecosystems.json');
  });

  test('recording merges, keeps the first day, and rewrites an unchanged record at most once a day', () => {
    const f = file();
    const day1 = new Date('2026-11-01T10:00:00Z');
    assert.deepEqual(recordSeenEcosystems(f, ['Debian:12', 'npm'], day1), { added: ['Debian', 'npm'], written: true, warnings: [] });
    assert.deepEqual(recordSeenEcosystems(f, ['npm', 'Debian:12'], new Date('2026-11-01T23:00:00Z')), { added: [], written: false, warnings: [] });
    assert.deepEqual(recordSeenEcosystems(f, ['Debian:11'], new Date('2026-11-03T00:00:00Z')), { added: [], written: true, warnings: [] });
    assert.deepEqual(readSeenEcosystems(f).ecosystems, [
      { name: 'Debian', seen_as: ['Debian:11', 'Debian:12'], first_seen: '2026-11-01', last_seen: '2026-11-03' },
      { name: 'npm', seen_as: ['npm'], first_seen: '2026-11-01', last_seen: '2026-11-01' },
    ]);
    assert.deepEqual(readdirSync(path.dirname(f)), ['seen-ecosystems.json'], 'no temporary file left behind');
  });

  test('unusable files: corrupt or wrong shape is a warning and an empty record, never an exception', () => {
    const f = file();
    mkdirSync(path.dirname(f), { recursive: true });
    for (const [text, reason] of [
      ['{"format":', /not JSON/],
      ['[]', /not a JSON object/],
      ['{"format":"other","version":1,"ecosystems":{}}', /not a portwarden-seen-ecosystems version 1 document/],
      ['{"format":"portwarden-seen-ecosystems","version":1,"ecosystems":{"npm":{"seen_as":"npm","first_seen":"2026-01-01","last_seen":"2026-01-01"}}}', /seen_as is not a list/],
      ['{"format":"portwarden-seen-ecosystems","version":1,"ecosystems":{"../x":{"seen_as":[],"first_seen":"2026-01-01","last_seen":"2026-01-01"}}}', /not an OSV export name/],
    ] as const) {
      writeFileSync(f, text);
      const r = readSeenEcosystems(f);
      assert.deepEqual(r.ecosystems, []);
      assert.match(r.warning ?? '', reason);
    }
    assert.deepEqual(readSeenEcosystems(path.join(tmp.dir, 'missing.json')), { file: path.join(tmp.dir, 'missing.json'), ecosystems: [] });
  });

  test('an unwritable location is a warning, not a failure', (t) => {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; a path under a regular file fails for everyone.
      const blocker = path.join(tmp.dir, 'blocker');
      writeFileSync(blocker, 'x');
      const r = recordSeenEcosystems(path.join(blocker, 'seen-ecosystems.json'), ['npm']);
      assert.equal(r.written, false);
      assert.ok(r.warnings.some((w) => /^cannot record scanned ecosystems in .*blocker\/seen-ecosystems\.json: /.test(w)), r.warnings.join('\n'));
      return;
    }
    const dir = path.join(tmp.dir, 'readonly');
    mkdirSync(dir);
    chmodSync(dir, 0o500);
    t.after(() => chmodSync(dir, 0o700));
    const r = recordSeenEcosystems(path.join(dir, 'seen-ecosystems.json'), ['npm']);
    assert.equal(r.written, false);
    assert.match(r.warnings[0] ?? '', /^cannot record scanned ecosystems/);
  });

  test('fuzz: any file text parses to entries or a reason; any ecosystem list records to a file that reads back', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
      const r = parseSeenEcosystems(text);
      assert.ok(typeof r === 'string' || Array.isArray(r));
    }), { numRuns: 500 });
    fc.assert(fc.property(fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('Debian:12', 'npm', 'Alpine:v3.19'))), (ecosystems) => {
      const f = file();
      const r = recordSeenEcosystems(f, ecosystems);
      assert.deepEqual(r.warnings, []);
      const back = readSeenEcosystems(f);
      assert.equal(back.warning, undefined);
      const expected = [...new Set(ecosystems.map(osvExportName).filter((e): e is string => e !== undefined))].sort((a, b) => a.localeCompare(b));
      assert.deepEqual(back.ecosystems.map((e) => e.name), expected);
      if (r.written) JSON.parse(readFileSync(f, 'utf8'));
    }), { numRuns: 100 });
  });
});
