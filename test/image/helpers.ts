/** Shared bits of the image tests: temp layouts, a recording analyzer, tree rendering. */
import { mkdtemp, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Analyzer, AnalyzerInput, Fragment } from '../../src/analyzers/types.ts';
import type { FileMeta, ImageSource } from '../../src/image/types.ts';
import { buildImage, writeOciLayout, type ImageSpec } from '../helpers/image-builder.ts';
import { openOciLayout } from '../../src/image/sources/oci.ts';

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pw-image-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Builds `spec`, writes it as an OCI layout under `dir`, opens it. */
export async function layoutSource(dir: string, spec: ImageSpec, tag = 'latest'): Promise<ImageSource> {
  const image = await buildImage(spec);
  const layout = path.join(dir, `layout-${Math.random().toString(36).slice(2)}`);
  await writeOciLayout(layout, image, tag);
  return openOciLayout(layout, tag);
}

export interface Seen { path: string; content: string; layerIndex: number; type: string }

/** An analyzer that records what it was asked for and what it was given. */
export function recordingAnalyzer(name: string, wants: (p: string, meta: FileMeta) => boolean, scope: 'final' | 'all-layers' = 'final', maxFileSize?: number) {
  const asked: string[] = [];
  const analyzed: Seen[] = [];
  let finalized: Fragment<Seen>[] = [];
  const analyzer: Analyzer<Seen> = {
    name,
    version: 1,
    kind: 'language',
    scope,
    ...(maxFileSize !== undefined ? { maxFileSize } : {}),
    required(p, meta) {
      asked.push(p);
      return wants(p, meta);
    },
    analyze(input: AnalyzerInput) {
      const seen = { path: input.path, content: input.content.toString('utf8'), layerIndex: input.meta.layerIndex, type: input.meta.type };
      analyzed.push(seen);
      return seen;
    },
    finalize(fragments) {
      finalized = fragments;
      return { packages: [] };
    },
  };
  return { analyzer: analyzer as Analyzer, asked, analyzed, get finalized() { return finalized; } };
}

/** `image files`-style rendering of a tree: dirs end in `/`, symlinks `path -> target`. */
export function renderTree(tree: FileMeta[]): string[] {
  return tree.map((f) => (f.type === 'dir' ? `${f.path}/` : f.type === 'symlink' ? `${f.path} -> ${f.linkname ?? ''}` : f.path));
}

/** An ImageSource over in-memory layer blobs (no digest checks): for fuzzing the walker itself. */
export function memorySource(blobs: { data: Buffer; compression: 'gzip' | 'zstd' | 'none' }[]): ImageSource {
  return {
    transport: 'oci',
    reference: 'memory',
    config: {},
    layers: blobs.map((b, i) => ({ digest: `sha256:${i.toString(16).padStart(64, '0')}`, size: b.data.length, mediaType: 'application/vnd.oci.image.layer.v1.tar', compression: b.compression })),
    async openLayer(i: number) {
      return Readable.from([blobs[i]!.data]);
    },
    async close() {},
  };
}
