/**
 * A real worker process for the multi-process tests: the production startService on PostgreSQL,
 * with the in-process FakeScanner instead of the image pipeline. Env:
 *   PW_TEST_CONFIG   JSON flags for loadConfig (databaseUrl, lease, …)
 *   PW_TEST_STALL    target whose scan never finishes in this process (to be SIGKILLed mid-scan)
 *   PW_TEST_LOG      file that gets one line per scanTarget call: "<pid> <target>"
 *   PW_TEST_DIGESTS  "1" → digest = sha256 of the repository name (shared-digest caching)
 *   PW_TEST_SLOW     "<target>=<ms>": that target's scan takes ms (aborted by shutdown)
 * Prints "ready" on stdout once it takes jobs.
 */
import { appendFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { loadConfig } from '../../src/config/index.ts';
import { installSignalHandlers, startService } from '../../src/service/server.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { FakeScanner } from './fixtures.ts';
import type { Report } from '../../src/model/report.ts';

class ProcessScanner extends FakeScanner {
  override async scanTarget(target: string, opts?: { signal?: AbortSignal }): Promise<Report> {
    if (process.env.PW_TEST_LOG) appendFileSync(process.env.PW_TEST_LOG, `${process.pid} ${target}\n`);
    if (target === process.env.PW_TEST_STALL) await new Promise(() => {});
    const [slowTarget, slowMs] = (process.env.PW_TEST_SLOW ?? '').split('=');
    if (target === slowTarget) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, Number(slowMs));
        opts?.signal?.addEventListener('abort', () => { clearTimeout(timer); reject(new Error('scan aborted')); }, { once: true });
      });
    }
    return super.scanTarget(target, opts);
  }

  override async resolveTargetDigest(target: string): Promise<string | undefined> {
    if (process.env.PW_TEST_DIGESTS !== '1') return undefined;
    const repo = target.split(':')[0] ?? target;
    return `sha256:${createHash('sha256').update(repo).digest('hex')}`;
  }
}

const cfg = loadConfig({ env: {}, flags: JSON.parse(process.env.PW_TEST_CONFIG ?? '{}') as Record<string, unknown> });
const handle = await startService(cfg, { api: false, scanner: new ProcessScanner(), logger: createLogger(process.env.PW_TEST_LOG_LEVEL ?? 'silent'), defaultMetrics: false });
installSignalHandlers(handle);
process.stdout.write('ready\n');
