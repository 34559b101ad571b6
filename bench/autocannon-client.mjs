/**
 * Runs one autocannon load in a child process, so the load generator has its own process (on a
 * 2-core machine: its own core) instead of taking turns with the server on its thread — as a
 * separate load tool on the same host would. (autocannon changes behaviour inside worker threads.)
 * Protocol over IPC: receives { opts: autocannon options without functions, paths?: string[] to
 * request round-robin }, answers { result } or { error }, then exits.
 */
import { createRequire } from 'node:module';

const autocannon = createRequire(import.meta.url)('autocannon');

process.once('message', ({ opts, paths }) => {
  let next = 0;
  const withPaths = paths?.length
    ? { ...opts, requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] }) }] }
    : opts;
  const cpu = process.cpuUsage();
  autocannon(withPaths, (err, res) => {
    if (err) {
      process.send({ error: err.message }, () => process.exit(1));
      return;
    }
    const used = process.cpuUsage(cpu);
    const codes = Object.fromEntries(Object.entries(res).filter(([k]) => /^\dxx$/.test(k)));
    const result = { requests: { average: res.requests.average }, latency: { p50: res.latency.p50, p99: res.latency.p99 }, errors: res.errors, clientCpuSeconds: (used.user + used.system) / 1e6, ...codes };
    process.send({ result }, () => process.exit(0));
  });
});
