/** `portwarden image inspect|files TARGET`: what an image is, and what its final filesystem holds. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { action } from '../run.ts';
import { openOptionsFrom, withSourceOptions, type SourceFlags } from '../source-flags.ts';
import { formatPlatform } from '../../image/platform.ts';
import { compareBytes } from '../../image/layers/paths.ts';
import { resolveInTree } from '../../image/layers/resolve.ts';
import type { FileMeta, ImageSource } from '../../image/types.ts';

export interface InspectView {
  reference: string;
  transport: string;
  digest?: string;
  platform?: string;
  platformReason?: string;
  manifestMediaType?: string;
  configDigest?: string;
  layers: { digest: string; size: number; mediaType: string; compression: string; diffId?: string; createdBy?: string }[];
  config: {
    user?: string;
    env: string[];
    entrypoint: string[] | null;
    cmd: string[] | null;
    workingDir?: string;
    labels: Record<string, string>;
    created?: string;
    history: { created?: string; createdBy?: string; emptyLayer: boolean; comment?: string }[];
  };
}

/** The inspect document: history entries with empty_layer are skipped when pairing history with layers. */
export function inspectView(source: ImageSource): InspectView {
  const cfg = source.config;
  const history = cfg.history ?? [];
  const layerHistory = history.filter((h) => !h.empty_layer);
  const c = cfg.config;
  // Built in reading order (JSON keys follow insertion order); absent values are left out.
  return {
    reference: source.reference,
    transport: source.transport,
    ...(source.digest ? { digest: source.digest } : {}),
    ...(source.platform ? { platform: formatPlatform(source.platform) } : {}),
    ...(source.platformReason ? { platformReason: source.platformReason } : {}),
    ...(source.manifestMediaType ? { manifestMediaType: source.manifestMediaType } : {}),
    ...(source.configDigest ? { configDigest: source.configDigest } : {}),
    layers: source.layers.map((l, i) => {
      const createdBy = layerHistory[i]?.created_by;
      return { digest: l.digest, size: l.size, mediaType: l.mediaType, compression: l.compression, ...(l.diffId ? { diffId: l.diffId } : {}), ...(createdBy ? { createdBy } : {}) };
    }),
    config: {
      ...(c?.User ? { user: c.User } : {}),
      env: c?.Env ?? [],
      entrypoint: c?.Entrypoint ?? null,
      cmd: c?.Cmd ?? null,
      ...(c?.WorkingDir ? { workingDir: c.WorkingDir } : {}),
      labels: c?.Labels ?? {},
      ...(cfg.created ? { created: cfg.created } : {}),
      history: history.map((h) => ({ ...(h.created ? { created: h.created } : {}), ...(h.created_by ? { createdBy: h.created_by } : {}), emptyLayer: Boolean(h.empty_layer), ...(h.comment ? { comment: h.comment } : {}) })),
    },
  };
}

function humanSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

export function renderInspectTable(v: InspectView): string {
  const lines: string[] = [];
  const row = (k: string, val: string | undefined): void => { if (val !== undefined && val !== '') lines.push(`${k.padEnd(14)}${val}`); };
  row('Reference', v.reference);
  row('Digest', v.digest);
  row('Platform', v.platform ? `${v.platform}${v.platformReason ? ` (${v.platformReason})` : ''}` : undefined);
  row('Manifest type', v.manifestMediaType);
  row('Config', v.configDigest);
  row('Created', v.config.created);
  row('User', v.config.user);
  row('Entrypoint', v.config.entrypoint ? JSON.stringify(v.config.entrypoint) : undefined);
  row('Cmd', v.config.cmd ? JSON.stringify(v.config.cmd) : undefined);
  row('WorkingDir', v.config.workingDir);
  if (v.config.env.length) { lines.push('Env'); for (const e of v.config.env) lines.push(`  ${e}`); }
  const labels = Object.entries(v.config.labels);
  if (labels.length) { lines.push('Labels'); for (const [k, val] of labels) lines.push(`  ${k}=${val}`); }
  lines.push(`Layers (${v.layers.length})`);
  v.layers.forEach((l, i) => {
    lines.push(`  ${String(i).padStart(2)}  ${l.digest}  ${humanSize(l.size).padStart(10)}  ${l.compression.padEnd(4)}${l.createdBy ? `  ${l.createdBy.replace(/\s+/g, ' ').slice(0, 100)}` : ''}`);
    if (l.diffId) lines.push(`      diff_id ${l.diffId}`);
  });
  return `${lines.join('\n')}\n`;
}

/** One line per path: directories end with `/`, symlinks `path -> target`; sorted by bytes. */
export function renderFileLines(tree: FileMeta[], resolve = false): string[] {
  const byPath = new Map(tree.map((f) => [f.path, f]));
  const lines = tree.map((f) => {
    if (f.type === 'dir') return `${f.path}/`;
    if (f.type !== 'symlink') return f.path;
    const base = `${f.path} -> ${f.linkname ?? ''}`;
    if (!resolve) return base;
    const r = resolveInTree((p) => byPath.get(p), f.path);
    return r.ok ? `${base} => /${r.path}${r.meta ? '' : ' (missing)'}` : `${base} => (${r.reason} at /${r.at})`;
  });
  return lines.sort(compareBytes);
}

export function register(program: Command): void {
  const image = program.command('image').description('Inspect images and list their files (any transport: registry, oci:, oci-archive:, docker-archive:, dir:)');

  withSourceOptions(image.command('inspect').argument('<target>', 'image reference or TRANSPORT:PATH'))
    .description('Show the resolved reference, digest, platform, layers and config of an image')
    .option('--format <format>', 'table or json', 'table')
    .action(action(async (target: string, flags: SourceFlags & { format: string }) => {
      if (flags.format !== 'table' && flags.format !== 'json') throw new InvalidArgumentError(`--format must be table or json, not "${flags.format}"`);
      const { openSource } = await import('../../image/open.ts');
      const source = await openSource(target, openOptionsFrom(flags));
      try {
        const view = inspectView(source);
        process.stdout.write(flags.format === 'json' ? `${JSON.stringify(view, null, 2)}\n` : renderInspectTable(view));
      } finally {
        await source.close();
      }
    }));

  withSourceOptions(image.command('files').argument('<target>', 'image reference or TRANSPORT:PATH'))
    .description('List the final filesystem (whiteouts applied), one path per line, sorted; dirs end with /, symlinks as "path -> target"')
    .option('--resolve', 'also show where each symlink finally points inside the image ("=> /path", loops reported)')
    .action(action(async (target: string, flags: SourceFlags & { resolve?: boolean }) => {
      const { openSource } = await import('../../image/open.ts');
      const source = await openSource(target, openOptionsFrom(flags));
      try {
        const { walkImage } = await import('../../image/walk.ts');
        const result = await walkImage(source, { analyzers: [], collectTree: true, onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
        const lines = renderFileLines(result.tree ?? [], Boolean(flags.resolve));
        // One write per chunk keeps large listings fast and lets `| head` end us early.
        const chunk = 4096;
        for (let i = 0; i < lines.length; i += chunk) {
          if (!process.stdout.write(`${lines.slice(i, i + chunk).join('\n')}\n`)) await new Promise((r) => process.stdout.once('drain', r));
        }
      } finally {
        await source.close();
      }
    }));
}
