/** Seconds elapsed since `start`, a `process.hrtime.bigint()` reading (monotonic; for durations in metrics). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}
