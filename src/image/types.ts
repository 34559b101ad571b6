/**
 * Contracts of the image layer: where an image comes from (a source) and how its files are seen.
 * Everything right of this module (analyzers, secrets, the scan pipeline) depends only on these types.
 */
import type { Readable } from 'node:stream';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export type Compression = 'gzip' | 'zstd' | 'none';

export interface LayerDescriptor {
  /** Digest of the blob as stored (compressed), `sha256:…`. */
  digest: string;
  size: number;
  mediaType: string;
  compression: Compression;
  /** Uncompressed digest from the config's `rootfs.diff_ids`, when known. */
  diffId?: string;
}

/** The subset of the OCI image config that Portwarden reads. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  config?: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    ExposedPorts?: Record<string, unknown>;
  };
  rootfs?: { type: string; diff_ids: string[] };
  history?: { created?: string; created_by?: string; empty_layer?: boolean; comment?: string; author?: string }[];
}

/** An image opened from any transport (registry, oci:, oci-archive:, docker-archive:, dir:). */
export interface ImageSource {
  readonly transport: 'registry' | 'oci' | 'oci-archive' | 'docker-archive' | 'dir';
  /** Canonical reference as resolved (`docker.io/library/nginx:latest`, `oci:/path:tag`). */
  readonly reference: string;
  /** Manifest digest; undefined for `dir:` sources. */
  readonly digest?: string;
  readonly platform?: Platform;
  /** How `platform` was chosen from a multi-platform index (`matched requested linux/arm64`); absent without an index. */
  readonly platformReason?: string;
  readonly manifestMediaType?: string;
  readonly config: ImageConfig;
  /** Raw config bytes digest, when the source has one. */
  readonly configDigest?: string;
  readonly layers: readonly LayerDescriptor[];
  /**
   * Opens layer `index` as stored (compressed). The stream verifies the blob digest as it flows and
   * errors with a message naming the digest on mismatch. Not used for `dir:` sources (see `walkDir`).
   */
  openLayer(index: number): Promise<Readable>;
  /** For `dir:` sources only: the root directory to walk instead of layers. */
  readonly rootDir?: string;
  close(): Promise<void>;
}

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

/** Metadata of one file as seen while walking a layer (or a directory). */
export interface FileMeta {
  /** Normalised image path, no leading slash, no `.`/`..` segments (`usr/bin/env`). */
  path: string;
  type: EntryType;
  size: number;
  mode: number;
  /** Link target for symlinks and hard links. */
  linkname?: string;
  /** Index of the layer in the manifest, and its digest ('' for `dir:`). */
  layerIndex: number;
  layerDigest: string;
}
