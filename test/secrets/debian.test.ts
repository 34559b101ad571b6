/**
 * False-positive check on a real distribution: the debootstrap bookworm rootfs (built by the e2e
 * suites, cached at /tmp/pw-debootstrap-bookworm) walked through the `dir:` source must yield no
 * secret, even with the built-in path allow-lists disabled (docs, configs and scripts all scanned).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Analyzer } from '../../src/analyzers/types.ts';
import { openSource } from '../../src/image/open.ts';
import { walkImage } from '../../src/image/walk.ts';
import { createSecretAnalyzer, defaultSecretRules } from '../../src/secrets/index.ts';
import { DEBIAN_ROOTFS } from '../helpers/debian-rootfs.ts';
import { requireOrSkip } from '../helpers/shared-data.ts';

test('a clean Debian rootfs has no secret findings, allow-lists on or off', async (t) => {
  if (!requireOrSkip(t, existsSync(`${DEBIAN_ROOTFS}.complete`) || existsSync(`${DEBIAN_ROOTFS}/etc/debian_version`), `debootstrap rootfs at ${DEBIAN_ROOTFS}`)) return;
  const base = defaultSecretRules();
  for (const rules of [base, { ...base, allow: [] }]) {
    const source = await openSource(`dir:${DEBIAN_ROOTFS}`);
    try {
      const walked = await walkImage(source, { analyzers: [createSecretAnalyzer(rules) as Analyzer] });
      const secrets = walked.outputs.get('secrets')?.secrets ?? [];
      assert.ok(walked.stats.filesBuffered > 500, `scanned ${walked.stats.filesBuffered} files`);
      assert.deepEqual(secrets.map((s) => `${s.rule_id} ${s.path}:${s.line ?? ''}`), []);
    } finally {
      await source.close();
    }
  }
});
