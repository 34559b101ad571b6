/**
 * pg-boss 10 behind the JobQueue interface. pg-boss gives the durable parts: SKIP LOCKED fetch,
 * leases (expireInSeconds, reclaimed by its maintenance loop), exponential backoff with jitter
 * (`retryBackoff`), and a native dead-letter queue that also receives jobs whose final lease expired.
 */
import PgBoss from 'pg-boss';
import type { DeadLetterInfo, JobContext, JobQueue, ScanJobData } from './types.ts';

export const SCAN_QUEUE = 'portwarden-scan';
export const DEAD_QUEUE = 'portwarden-scan-dead';

export interface PgBossQueueOptions {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  leaseSeconds: number;
  maxAttempts: number;
  retryDelaySeconds: number;
  maintenanceSeconds: number;
  pollingSeconds: number;
  onError?: (err: Error) => void;
}

export class PgBossQueue implements JobQueue {
  private readonly boss: PgBoss;
  private readonly opts: PgBossQueueOptions;
  private readonly shutdown = new AbortController();
  private started = false;
  /** Running handler callbacks and pg-boss statements, so stop() can let them settle before the store closes. */
  private inFlightHandlers = 0;
  private inFlightSql = 0;

  constructor(opts: PgBossQueueOptions) {
    this.opts = opts;
    this.boss = new PgBoss({
      db: {
        executeSql: async (text: string, values: unknown[]) => {
          this.inFlightSql++;
          try {
            return (await opts.executeSql(text, values)) as { rows: never[] };
          } finally {
            this.inFlightSql--;
          }
        },
      },
      schema: 'pgboss',
      supervise: true,
      migrate: true,
      schedule: false,
      maintenanceIntervalSeconds: opts.maintenanceSeconds,
      monitorStateIntervalSeconds: 3600,
    });
    this.boss.on('error', (err: Error) => opts.onError?.(err));
  }

  async start(): Promise<void> {
    await this.boss.start();
    this.started = true;
    // createQueue is idempotent; updateQueue applies changed retry/lease settings on upgrade.
    const policy = {
      retryLimit: Math.max(0, this.opts.maxAttempts - 1),
      retryDelay: this.opts.retryDelaySeconds,
      retryBackoff: true,
      expireInSeconds: this.opts.leaseSeconds,
      retentionDays: 14,
    };
    await this.boss.createQueue(DEAD_QUEUE, { name: DEAD_QUEUE, retryLimit: 5, retryDelay: 5, retryBackoff: true, expireInSeconds: 300 });
    await this.boss.createQueue(SCAN_QUEUE, { name: SCAN_QUEUE, ...policy, deadLetter: DEAD_QUEUE });
    await this.boss.updateQueue(SCAN_QUEUE, { name: SCAN_QUEUE, ...policy, deadLetter: DEAD_QUEUE });
  }

  async enqueue(data: ScanJobData, opts: { priority: number; id?: string }): Promise<string> {
    const id = await this.boss.send(SCAN_QUEUE, data, { priority: opts.priority, ...(opts.id ? { id: opts.id } : {}) });
    if (!id) throw new Error(`queue refused scan job ${data.scanId}`);
    return id;
  }

  async work(handler: (data: ScanJobData, ctx: JobContext) => Promise<void>, opts: { concurrency: number }): Promise<void> {
    // pg-boss 10 has one fetch loop per work() call; N calls with batchSize 1 give N slots, each
    // taking the highest-priority job available when it becomes free.
    for (let i = 0; i < opts.concurrency; i++) {
      // The handler can run before work() resolves, so the id lives in a holder, not a const.
      const slot: { id?: string } = {};
      slot.id = await this.boss.work<ScanJobData>(SCAN_QUEUE, { batchSize: 1, includeMetadata: true, priority: true, pollingIntervalSeconds: this.opts.pollingSeconds }, async (jobs) => {
        this.inFlightHandlers++;
        try {
          for (const job of jobs) {
            await handler(job.data, {
              jobId: job.id,
              attempt: job.retryCount + 1,
              maxAttempts: job.retryLimit + 1,
              signal: this.shutdown.signal,
            });
          }
        } finally {
          this.inFlightHandlers--;
          // pg-boss sleeps out the rest of the polling interval even after finding work, which caps a
          // slot at one job per interval; a busy slot asks for the next job at once instead.
          if (jobs.length > 0 && slot.id && this.started) this.boss.notifyWorker(slot.id);
        }
      });
    }
  }

  async onDeadLetter(handler: (data: ScanJobData, info: DeadLetterInfo) => Promise<void>): Promise<void> {
    await this.boss.work<ScanJobData>(DEAD_QUEUE, { batchSize: 1, pollingIntervalSeconds: Math.max(this.opts.pollingSeconds, 1) }, async (jobs) => {
      for (const job of jobs) await handler(job.data, { jobId: job.id });
    });
  }

  async depth(): Promise<number> {
    return this.boss.getQueueSize(SCAN_QUEUE);
  }

  async stop(opts: { timeoutMs: number }): Promise<void> {
    if (!this.started) return;
    this.started = false;
    // pg-boss stops fetching at once and waits for running handlers up to the timeout, then fails
    // the leftovers so they are retried elsewhere; the abort tells our handlers to stop their work.
    const abortTimer = setTimeout(() => this.shutdown.abort(new Error('worker shutting down')), Math.max(0, opts.timeoutMs - 200));
    const deadline = Date.now() + Math.max(1000, opts.timeoutMs) + 1000;
    try {
      await this.boss.stop({ graceful: true, wait: true, close: false, timeout: Math.max(1000, opts.timeoutMs) });
      // pg-boss can report itself stopped while a handler is still returning and its job's
      // completion statement is about to be sent; closing the store under it would lose that
      // completion (and crash on a closed pool), so wait for both to drain.
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      while (this.inFlightHandlers > 0 && Date.now() < deadline) await sleep(20);
      await sleep(50);
      while (this.inFlightSql > 0 && Date.now() < deadline) await sleep(20);
    } finally {
      clearTimeout(abortTimer);
    }
  }
}
