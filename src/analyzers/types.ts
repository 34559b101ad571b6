/**
 * The analyzer contract, after Trivy's analyzer registry: an analyzer declares from a file's path
 * and metadata alone whether it needs the file (`required`), parses the bytes of each such file
 * into a fragment (`analyze`, pure), and combines the fragments of the files that survive in the
 * final filesystem into packages / OS info (`finalize`).
 *
 * The layer walker buffers only required files (up to `maxFileSize`), one file at a time, and
 * never writes to disk. A fragment whose file is later deleted or replaced by another layer is
 * dropped before `finalize`, unless the analyzer's `scope` is `all-layers` (secrets).
 */
import type { FileMeta } from '../image/types.ts';
import type { OSInfo, Package } from '../model/inventory.ts';
import type { SecretFinding } from '../model/report.ts';

export interface AnalyzerInput {
  path: string;
  content: Buffer;
  meta: FileMeta;
}

export interface Fragment<F> {
  path: string;
  layerIndex: number;
  layerDigest: string;
  value: F;
  /** Only for `all-layers` analyzers: true when a later layer deleted or replaced this file. */
  deleted?: boolean;
}

export interface AnalyzerOutput {
  os?: OSInfo;
  packages?: Package[];
  /** From `all-layers` secret analyzers. */
  secrets?: SecretFinding[];
  warnings?: string[];
}

export interface Analyzer<F = unknown> {
  /** Stable name (`dpkg`, `npm`, `os-release`). */
  readonly name: string;
  /** Bumped when the analyzer's output changes; part of cache keys. */
  readonly version: number;
  readonly kind: 'os' | 'language' | 'os-release' | 'secret';
  /** `final` (default): only files present in the final filesystem count. `all-layers`: every layer's copy counts. */
  readonly scope?: 'final' | 'all-layers';
  /** Largest file the analyzer wants buffered (bytes); larger files are skipped with a warning. Default 32 MiB. */
  readonly maxFileSize?: number;
  /** Decide from the path and metadata alone (no content) whether this file is needed. Must be cheap. */
  required(path: string, meta: FileMeta): boolean;
  /** Parse one file. Throwing is fine: the walker records a warning naming the file and the scan goes on. */
  analyze(input: AnalyzerInput): F | undefined | Promise<F | undefined>;
  /** Combine the fragments (final view, in layer order) into the analyzer's output. */
  finalize(fragments: Fragment<F>[]): AnalyzerOutput;
}

export const DEFAULT_MAX_FILE_SIZE = 32 * 1024 * 1024;
