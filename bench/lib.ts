/**
 * Helpers shared by bench/*.bench.ts: timing with CPU time beside wall time (the 2-core machine
 * is shared, so wall time partly measures other work; CPU time is what the code itself costs),
 * the machine line every bench prints first, a deterministic PRNG and table formatting.
 */
import os from 'node:os';

export const MiB = 1024 * 1024;

export interface Timing {
  wallMs: number;
  /** User + system CPU of this process (all its threads, zlib's included). */
  cpuMs: number;
}

function cpuMsNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Wall and CPU time of one call. */
export function measure<T>(fn: () => T): Timing & { value: T } {
  const cpu = cpuMsNow();
  const t = performance.now();
  const value = fn();
  return { wallMs: performance.now() - t, cpuMs: cpuMsNow() - cpu, value };
}

export async function measureAsync<T>(fn: () => Promise<T>): Promise<Timing & { value: T }> {
  const cpu = cpuMsNow();
  const t = performance.now();
  const value = await fn();
  return { wallMs: performance.now() - t, cpuMs: cpuMsNow() - cpu, value };
}

/**
 * Calls `fn` once to warm up, then repeatedly for at least `minMs` (default BENCH_MIN_MS, else
 * 1,500 ms): the mean per call.
 */
export function repeatFor<T>(fn: () => T, minMs = envNumber('BENCH_MIN_MS', 1500)): Timing & { runs: number; value: T } {
  let value = fn();
  let runs = 0;
  const cpu = cpuMsNow();
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    value = fn();
    runs++;
    elapsed = performance.now() - start;
  }
  return { wallMs: elapsed / runs, cpuMs: (cpuMsNow() - cpu) / runs, runs, value };
}

/** The smallest wall and the smallest CPU time (each the least disturbed run) of `runs` calls after a warm-up. */
export function bestOf<T>(fn: () => T, runs = 5): Timing & { value: T } {
  let value = fn();
  let wallMs = Infinity;
  let cpuMs = Infinity;
  for (let i = 0; i < runs; i++) {
    const m = measure(fn);
    value = m.value;
    wallMs = Math.min(wallMs, m.wallMs);
    cpuMs = Math.min(cpuMs, m.cpuMs);
  }
  return { wallMs, cpuMs, value };
}

/**
 * Best of `rounds` for several cases run interleaved (case 1, case 2, …, then again), so a burst
 * of load from elsewhere hits every case rather than one. Each case returns its own timing.
 */
export async function bestOfInterleaved<T extends { seconds: number; cpu: number }>(cases: (() => Promise<T> | T)[], rounds = 3): Promise<T[]> {
  const best: (T | undefined)[] = cases.map(() => undefined);
  for (let round = 0; round < rounds; round++) {
    for (const [i, fn] of cases.entries()) {
      const r = await fn();
      const b = best[i];
      best[i] = b ? { ...r, seconds: Math.min(b.seconds, r.seconds), cpu: Math.min(b.cpu, r.cpu) } : r;
    }
  }
  return best as T[];
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** `node v20.20.2, 2 cores, load average 1.2 0.9 0.7`: printed first by every bench. */
export function machineLine(): string {
  return `node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`;
}

/** `12.34 ms (12.10 ms CPU)`. */
export function formatTiming(t: Timing, digits = 2): string {
  return `${t.wallMs.toFixed(digits)} ms (${t.cpuMs.toFixed(digits)} ms CPU)`;
}

/** Items per second at `ms` per batch of `items`, grouped (`36,496`). */
export function perSecond(items: number, ms: number): string {
  return Math.round((items * 1000) / ms).toLocaleString('en-US');
}

/** MiB/s for `bytes` processed in `ms`. */
export function mibPerSecond(bytes: number, ms: number): string {
  return `${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s`;
}

/** One result line: padded label, the timing, then free text. */
export function resultLine(label: string, t: Timing, extra = '', labelWidth = 60): string {
  return `${label.padEnd(labelWidth)} ${t.wallMs.toFixed(2).padStart(9)} ms/op ${t.cpuMs.toFixed(2).padStart(9)} ms CPU  ${extra}`.trimEnd();
}

/** A Markdown table with padded columns. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Deterministic PRNG (mulberry32), so every run and every machine sees the same inputs. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A positive number from the environment, or the default. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}
