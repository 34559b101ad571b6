/** Resource limits for walking one image; every one of them ends the walk with an error naming the layer. */
export interface WalkLimits {
  /** Decompressed bytes summed over all layers. */
  maxTotalBytes: number;
  /** Decompressed/compressed ratio above which a layer is treated as a decompression bomb… */
  maxCompressionRatio: number;
  /** …once it has produced at least this many bytes (small highly compressible layers are normal). */
  ratioCheckMinBytes: number;
  /** Tar entries summed over all layers. */
  maxEntries: number;
  /** Longest accepted entry path in bytes; longer entries are skipped with a warning (Linux PATH_MAX is 4096). */
  maxPathLength: number;
}

export const DEFAULT_WALK_LIMITS: WalkLimits = {
  maxTotalBytes: 20 * 1024 ** 3,
  maxCompressionRatio: 1000,
  ratioCheckMinBytes: 64 * 1024 ** 2,
  maxEntries: 5_000_000,
  maxPathLength: 4096,
};

export function resolveLimits(partial?: Partial<WalkLimits>): WalkLimits {
  const limits = { ...DEFAULT_WALK_LIMITS };
  for (const [key, value] of Object.entries(partial ?? {}) as [keyof WalkLimits, number | undefined][]) {
    if (value !== undefined) limits[key] = value;
  }
  return limits;
}
