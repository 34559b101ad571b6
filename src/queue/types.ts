/**
 * The job queue as the service sees it: durable, at-least-once, leased jobs with retries,
 * priorities and a dead-letter path. One implementation (pg-boss, pgboss.ts) runs on both the
 * embedded store and PostgreSQL.
 */

/** Higher runs first. API and push-triggered scans use PRIORITY.normal, bulk rescans PRIORITY.bulk. */
export const PRIORITY = { bulk: 0, normal: 10, urgent: 20 } as const;

export interface ScanJobData {
  scanId: string;
  /** The job id the scan row expects; a dead-letter event for an older job of a requeued scan is ignored. */
  jobId?: string;
}

export interface JobContext {
  jobId: string;
  /** 1-based attempt number of this delivery. */
  attempt: number;
  maxAttempts: number;
  /** Aborted when the process is shutting down and the grace period ran out. */
  signal: AbortSignal;
}

export interface DeadLetterInfo {
  jobId: string;
}

export interface JobQueue {
  start(): Promise<void>;
  /** `id` (a UUID) lets the caller record the job id before the job can run. */
  enqueue(data: ScanJobData, opts: { priority: number; id?: string }): Promise<string>;
  /** Starts `concurrency` worker slots; a handler that throws fails the attempt (retried with backoff). */
  work(handler: (data: ScanJobData, ctx: JobContext) => Promise<void>, opts: { concurrency: number }): Promise<void>;
  /** Receives jobs that used every attempt, including ones whose last lease expired. */
  onDeadLetter(handler: (data: ScanJobData, info: DeadLetterInfo) => Promise<void>): Promise<void>;
  /** Jobs waiting to run (created or waiting for a retry). */
  depth(): Promise<number>;
  /** Stops fetching; waits up to timeoutMs for running handlers, then releases their jobs for retry. */
  stop(opts: { timeoutMs: number }): Promise<void>;
}
