/**
 * End to end through the real image path: an OCI layout written by the image builder, opened by
 * openSource, streamed once by walkImage with the secret analyzer beside an inventory analyzer.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ALL_ANALYZERS } from '../../src/analyzers/index.ts';
import { openSource } from '../../src/image/open.ts';
import { walkImage } from '../../src/image/walk.ts';
import type { SecretFinding } from '../../src/model/report.ts';
import { createSecretAnalyzer, loadSecretConfig, scanImageConfig } from '../../src/secrets/index.ts';
import { buildImage, writeOciLayout } from '../helpers/image-builder.ts';
import { GITHUB_PAT, NPM_TOKEN, pemKey, PG_URL, STRIPE_KEY } from './fixtures.ts';

describe('secrets in a real image walk', () => {
  test('files, a file deleted by a later layer, a replaced file, ENV and history', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pw-secrets-img-'));
    try {
      const image = await buildImage({
        layers: [
          {
            files: [
              { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
              { path: 'app/.env', content: `# app\nGITHUB_TOKEN=${GITHUB_PAT}\n` },
              { path: 'root/.ssh/id_rsa', content: pemKey(), mode: 0o600 },
              { path: 'usr/share/doc/app/README', content: `example ${GITHUB_PAT}` },
              { path: 'app/tool', content: Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0]), Buffer.from(STRIPE_KEY)]) },
            ],
          },
          { files: [{ path: 'root/.ssh/.wh.id_rsa' }, { path: 'app/config.yml', content: `payments:\n  key: ${STRIPE_KEY}\n` }] },
          { files: [{ path: 'app/.env', content: '# app\nGITHUB_TOKEN=\n' }], compression: 'zstd' },
        ],
        config: {
          config: { Env: ['PATH=/usr/local/bin:/usr/bin', `DATABASE_URL=${PG_URL}`] },
          history: [
            { created_by: '/bin/sh -c #(nop) ADD file:0 in / ' },
            { created_by: `|1 NPM_TOKEN=${NPM_TOKEN} /bin/sh -c npm ci` },
            { created_by: '/bin/sh -c #(nop) COPY file:1 in /app/.env ' },
          ],
        },
      });
      const layout = path.join(dir, 'layout');
      await writeOciLayout(layout, image, 'v1');
      const source = await openSource(`oci:${layout}:v1`);
      try {
        const rules = await loadSecretConfig({});
        const secretAnalyzer = createSecretAnalyzer(rules);
        const walked = await walkImage(source, { analyzers: [...ALL_ANALYZERS, secretAnalyzer] });
        const secrets = walked.outputs.get('secrets')?.secrets ?? [];
        const digests = source.layers.map((l) => l.digest);
        const view = (s: SecretFinding): string => `${s.path}|${s.rule_id}|${digests.indexOf(s.layer ?? '')}|${s.line ?? '-'}|${s.deleted ? 'deleted' : 'present'}`;
        assert.deepEqual(secrets.map(view).sort(), [
          'app/.env|github-pat|0|2|deleted',
          'app/config.yml|stripe-secret-token|1|2|present',
          'root/.ssh/id_rsa|private-key|0|2|deleted',
        ]);
        for (const s of secrets) assert.ok(!JSON.stringify(s).includes(GITHUB_PAT.slice(4, 12)) && s.match.endsWith('*****'));
        assert.ok(walked.outputs.has('os-release') || walked.outputs.size > 1, 'the inventory analyzers ran in the same walk');

        const fromConfig = scanImageConfig(source.config, rules);
        assert.deepEqual(
          fromConfig.map((s) => `${s.path}|${s.rule_id}`),
          ['config:env|database-url-password', 'config:history[1]|npm-access-token'],
        );
      } finally {
        await source.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
