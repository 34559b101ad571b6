/** Shared test helpers for the OS analyzers: run an analyzer over files as the layer walker would. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Analyzer, AnalyzerOutput, Fragment } from '../../../src/analyzers/types.ts';
import type { FileMeta } from '../../../src/image/types.ts';

export function fileMeta(p: string, size = 0): FileMeta {
  return { path: p, type: 'file', size, mode: 0o644, layerIndex: 0, layerDigest: 'sha256:test' };
}

/** Every regular file under `root`, as image paths (no leading slash). */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const abs = path.join(dir, name);
      if (statSync(abs).isDirectory()) walk(abs);
      else out.push(path.relative(root, abs).split(path.sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

/** Feeds `files` (image path → bytes) through required/analyze/finalize like the walker does. */
export async function runAnalyzer<F>(analyzer: Analyzer<F>, files: Map<string, Buffer>): Promise<AnalyzerOutput> {
  const fragments: Fragment<F>[] = [];
  for (const [p, content] of files) {
    const meta = fileMeta(p, content.length);
    if (!analyzer.required(p, meta)) continue;
    const value = await analyzer.analyze({ path: p, content, meta });
    if (value !== undefined) fragments.push({ path: p, layerIndex: 0, layerDigest: 'sha256:test', value });
  }
  return analyzer.finalize(fragments);
}

/** Reads a rootfs-shaped fixture directory into the map runAnalyzer takes. */
export function readTree(root: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const p of listFiles(root)) m.set(p, readFileSync(path.join(root, p)));
  return m;
}
