/**
 * Inventory fingerprints decide whether the service may reuse a stored inventory: they must change
 * whenever the analyzer set or any analyzer's version changes, and match what a scan records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ALL_ANALYZERS, analyzerFingerprint } from '../../src/analyzers/index.ts';
import { inventoryFingerprint, inventoryTarget } from '../../src/scan/pipeline.ts';

test('fingerprint: order-independent, changes on a version bump, an added or a removed analyzer', () => {
  const base = ALL_ANALYZERS.map((a) => ({ name: a.name, version: a.version }));
  const fp = analyzerFingerprint(base);
  assert.match(fp, /^[0-9a-f]{16}$/);
  assert.equal(analyzerFingerprint([...base].reverse()), fp);
  const bumped = base.map((a, i) => (i === 0 ? { ...a, version: a.version + 1 } : a));
  assert.notEqual(analyzerFingerprint(bumped), fp);
  assert.notEqual(analyzerFingerprint(base.slice(1)), fp);
  assert.notEqual(analyzerFingerprint([...base, { name: 'extra', version: 1 }]), fp);
});

test('a scan records the fingerprint inventoryFingerprint predicts, with and without secrets', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pw-fp-'));
  try {
    mkdirSync(path.join(dir, 'app'));
    writeFileSync(path.join(dir, 'app', 'package-lock.json'), JSON.stringify({ name: 'app', lockfileVersion: 3, packages: { '': { name: 'app' }, 'node_modules/lodash': { version: '4.17.20' } } }));
    const vulnOnly = await inventoryTarget(`dir:${dir}`, { scanners: ['vuln'] });
    const withSecrets = await inventoryTarget(`dir:${dir}`, { scanners: ['vuln', 'secret'] });
    assert.equal(vulnOnly.tool.analyzers, inventoryFingerprint({ scanners: ['vuln'] }));
    assert.equal(withSecrets.tool.analyzers, inventoryFingerprint({ scanners: ['vuln', 'secret'] }));
    assert.equal(inventoryFingerprint(), inventoryFingerprint({ scanners: ['vuln', 'secret'] }));
    assert.notEqual(vulnOnly.tool.analyzers, withSecrets.tool.analyzers);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
