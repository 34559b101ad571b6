/**
 * Prometheus metrics for the service. One registry per service instance (not prom-client's global
 * one) so several instances in one process, e.g. in tests, do not collide.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ServiceMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  jobDuration: Histogram<'outcome'>;
  jobsTotal: Counter<'outcome'>;
  /** Where a scan job's time goes: resolve (digest HEAD), inventory (pull and analyzers), match, persist. */
  stageDuration: Histogram<'stage'>;
  scansByStatus: Gauge<'status'>;
  queueDepth: Gauge;
}

export function createMetrics(collectors: {
  scansByStatus: () => Promise<Record<string, number>>;
  queueDepth: () => Promise<number>;
}, opts: { defaultMetrics?: boolean } = {}): ServiceMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'portwarden_' });
  const httpDuration = new Histogram({
    name: 'portwarden_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const jobDuration = new Histogram({
    name: 'portwarden_scan_job_duration_seconds',
    help: 'Scan job duration by outcome (completed, cached, rematched, retry, dead_letter)',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900],
    registers: [registry],
  });
  const stageDuration = new Histogram({
    name: 'portwarden_scan_stage_duration_seconds',
    help: 'Time spent per scan job stage: resolve (registry digest), inventory (pull, layers, analyzers), match, persist (objects and store)',
    labelNames: ['stage'] as const,
    buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [registry],
  });
  const jobsTotal = new Counter({ name: 'portwarden_scan_jobs_total', help: 'Scan job attempts by outcome', labelNames: ['outcome'] as const, registers: [registry] });
  const scansByStatus = new Gauge({
    name: 'portwarden_scans',
    help: 'Scans in the store by status',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const counts = await collectors.scansByStatus();
      for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
    },
  });
  const queueDepth = new Gauge({
    name: 'portwarden_queue_depth',
    help: 'Scan jobs waiting to run (queued or waiting for a retry)',
    registers: [registry],
    async collect() {
      this.set(await collectors.queueDepth());
    },
  });
  return { registry, httpDuration, jobDuration, jobsTotal, stageDuration, scansByStatus, queueDepth };
}
