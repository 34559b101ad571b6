import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { walkImage } from '../../src/image/walk.ts';
import { openSource } from '../../src/image/open.ts';
import { compareBytes, normalizeEntryPath } from '../../src/image/layers/paths.ts';
import { indexTarFile, parseTarHeader } from '../../src/image/layers/tar-index.ts';
import { resolveInTree } from '../../src/image/layers/resolve.ts';
import { PortwardenError } from '../../src/util/errors.ts';
import type { FileMeta } from '../../src/image/types.ts';
import { makeTar, type FileSpec } from '../helpers/image-builder.ts';
import { memorySource, renderTree, withTempDir } from './helpers.ts';

/**
 * A 1 GiB-of-zeros tar, gzip-compressed to ~1 MiB, written streaming: gzip members may be
 * concatenated, and the tar after its one header is all zeros, so one 16 MiB-of-zeros member is
 * compressed once and written 64 times.
 */
async function writeBombLayout(dir: string): Promise<void> {
  const fileSize = 1024 ** 3;
  const header = (await makeTar([{ path: 'zeros', content: Buffer.alloc(0) }])).subarray(0, 512);
  // Patch the size field (octal, 11 digits) and checksum for a 1 GiB entry.
  header.write(`${fileSize.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  const zerosMember = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
  const tail = gzipSync(Buffer.alloc(1024), { level: 9 });
  await mkdir(path.join(dir, 'blobs/sha256'), { recursive: true });
  const tmp = path.join(dir, 'layer.tmp');
  const out = createWriteStream(tmp);
  const hash = createHash('sha256');
  let size = 0;
  const write = async (b: Buffer): Promise<void> => {
    hash.update(b);
    size += b.length;
    if (!out.write(b)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  await write(gzipSync(header));
  for (let i = 0; i < fileSize / (16 * 1024 * 1024); i++) await write(zerosMember);
  await write(tail);
  await new Promise<void>((r) => out.end(() => r()));
  const layerDigest = `sha256:${hash.digest('hex')}`;
  const { rename } = await import('node:fs/promises');
  await rename(tmp, path.join(dir, 'blobs/sha256', layerDigest.slice(7)));
  const blob = async (data: string): Promise<{ digest: string; size: number }> => {
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    await writeFile(path.join(dir, 'blobs/sha256', digest.slice(7)), data);
    return { digest, size: Buffer.byteLength(data) };
  };
  const config = await blob(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const manifest = await blob(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size }],
  }));
  await writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }] }));
}

describe('limits', () => {
  test('decompression bomb: 1 GiB of zeros in ~1 MiB of gzip → error naming the layer', async () => {
    await withTempDir(async (dir) => {
      await writeBombLayout(dir);
      const source = await openSource(`oci:${dir}`);
      const rss = process.memoryUsage().rss;
      await assert.rejects(walkImage(source, { analyzers: [] }), (err: Error) => {
        assert.match(err.message, new RegExp(`possible decompression bomb in layer ${source.layers[0]!.digest}`));
        return true;
      });
      assert.ok(source.layers[0]!.size < 2 * 1024 * 1024);
      // Streaming, not buffering: memory grows by far less than the gigabyte.
      assert.ok(process.memoryUsage().rss - rss < 256 * 1024 * 1024);
    });
  });
});

type Op =
  | { kind: 'file'; path: string; content: string }
  | { kind: 'dir'; path: string }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'whiteout'; path: string }
  | { kind: 'opaque'; dir: string };

const segment = fc.constantFrom('a', 'b', 'c', 'a-b', 'é');
const relPath = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('file' as const), path: relPath, content: fc.string({ maxLength: 8 }) }),
  fc.record({ kind: fc.constant('dir' as const), path: relPath }),
  fc.record({ kind: fc.constant('symlink' as const), path: relPath, target: fc.oneof(relPath, relPath.map((p) => `/${p}`), relPath.map((p) => `../${p}`)) }),
  fc.record({ kind: fc.constant('whiteout' as const), path: relPath }),
  fc.record({ kind: fc.constant('opaque' as const), dir: relPath }),
);

function toSpecs(ops: Op[]): FileSpec[] {
  return ops.map((o): FileSpec => {
    switch (o.kind) {
      case 'file': return { path: o.path, content: o.content };
      case 'dir': return { path: `${o.path}/`, type: 'dir' };
      case 'symlink': return { path: o.path, type: 'symlink', linkname: o.target };
      case 'whiteout': {
        const slash = o.path.lastIndexOf('/');
        return { path: slash < 0 ? `.wh.${o.path}` : `${o.path.slice(0, slash)}/.wh.${o.path.slice(slash + 1)}` };
      }
      case 'opaque': return { path: `${o.dir}/.wh..wh..opq` };
    }
  });
}

/**
 * The reference model: a flat map path → kind, with the overlay rules spelled out naively.
 * Parents are resolved through symlinks like umoci/containerd extraction (chroot-like, 40 hops);
 * a link that leads onto a file is not followed but replaced by a directory.
 */
function modelView(layers: Op[][]): string[] {
  const view = new Map<string, 'file' | 'dir' | 'symlink'>();
  const symlinkTargets = new Map<string, string>();
  const dropTree = (p: string, self: boolean): void => {
    for (const k of [...view.keys()]) if ((self && k === p) || k.startsWith(`${p}/`)) view.delete(k);
  };
  /** Resolved parent directory of `path` (as a path), or null; creates directories when `create`. */
  const parentDir = (path: string, create: boolean, follow = true): string | null => {
    const done: string[] = [];
    let pending = path.split('/').slice(0, -1);
    let hops = 0;
    while (pending.length) {
      const name = pending.shift() as string;
      if (name === '' || name === '.') continue;
      if (name === '..') { done.pop(); continue; }
      const p = [...done, name].join('/');
      const kind = view.get(p);
      if (follow && kind === 'symlink' && hops < 40) {
        hops++;
        const target = symlinkTargets.get(p) as string;
        if (target.startsWith('/')) done.length = 0;
        pending = [...target.split('/'), ...pending];
        continue;
      }
      if (kind !== 'dir') {
        if (!create || (kind !== undefined && hops > 0)) return null;
        dropTree(p, true);
        view.set(p, 'dir');
      }
      done.push(name);
    }
    return done.join('/');
  };
  const join = (dir: string, name: string): string => (dir ? `${dir}/${name}` : name);
  const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
  for (const ops of layers) {
    for (const o of ops) {
      if (o.kind !== 'opaque') continue;
      const parent = parentDir(o.dir, false);
      if (parent !== null && view.get(join(parent, base(o.dir))) === 'dir') dropTree(join(parent, base(o.dir)), false);
    }
    for (const o of ops) {
      if (o.kind !== 'whiteout') continue;
      const parent = parentDir(o.path, false);
      if (parent !== null) dropTree(join(parent, base(o.path)), true);
    }
    for (const o of ops) {
      // Whiteout markers create nothing: only real entries (and their parents) appear.
      if (o.kind === 'whiteout' || o.kind === 'opaque') continue;
      const parent = parentDir(o.path, true) ?? (parentDir(o.path, true, false) as string);
      const p = join(parent, base(o.path));
      if (o.kind === 'dir') {
        if (view.get(p) !== 'dir') { dropTree(p, true); view.set(p, 'dir'); }
      } else {
        dropTree(p, true);
        view.set(p, o.kind);
        if (o.kind === 'symlink') symlinkTargets.set(p, o.target);
      }
    }
  }
  return [...view.entries()]
    .map(([p, kind]) => (kind === 'dir' ? `${p}/` : kind === 'symlink' ? `${p} -> ${symlinkTargets.get(p) ?? ''}` : p))
    .sort((x, y) => compareBytes(x.replace(/\/$/, '').replace(/ -> .*$/, ''), y.replace(/\/$/, '').replace(/ -> .*$/, '')));
}

describe('fuzz', () => {
  test('random layer stacks: the final view equals the reference model, for any concurrency', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { maxLength: 8 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 4 }), async (layers, concurrency) => {
        const blobs = await Promise.all(layers.map(async (ops, i) => {
          const tar = await makeTar(toSpecs(ops));
          return i % 2 ? { data: gzipSync(tar), compression: 'gzip' as const } : { data: tar, compression: 'none' as const };
        }));
        const r = await walkImage(memorySource(blobs), { analyzers: [], collectTree: true, concurrency });
        assert.deepEqual(renderTree(r.tree ?? []), modelView(layers));
      }),
      { numRuns: 150 },
    );
  });

  test('random bytes as a layer never crash: a result or a PortwardenError', async () => {
    const tarish = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b)),
      // Mutations of a valid tar reach deeper into the parser than noise does.
      fc.tuple(fc.integer({ min: 0, max: 2559 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 2560 })).map(([pos, val, cut]) => {
        const b = Buffer.from(validTar);
        b[pos] = val;
        return b.subarray(0, cut);
      }),
    );
    await fc.assert(
      fc.asyncProperty(tarish, fc.constantFrom('none', 'gzip') as fc.Arbitrary<'none' | 'gzip'>, async (bytes, compression) => {
        const data = compression === 'gzip' ? gzipSync(bytes) : bytes;
        try {
          await walkImage(memorySource([{ data, compression }]), { analyzers: [], collectTree: true });
        } catch (err) {
          assert.ok(err instanceof PortwardenError, `unexpected ${String(err)}`);
          assert.match(err.message, /layer sha256:0{64}/);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('normalizeEntryPath never yields .., empty or leading-slash segments', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('..', '.', '', 'a', 'b', '/', '\0'), { maxLength: 8 }).map((s) => s.join('/')), (name) => {
      const r = normalizeEntryPath(name);
      if (!r.ok) return;
      assert.ok(!r.path.startsWith('/'));
      if (r.path !== '') assert.ok(r.path.split('/').every((s) => s !== '' && s !== '.' && s !== '..'));
    }), { numRuns: 500 });
  });

  test('compareBytes is UTF-8 byte order', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
      assert.equal(Math.sign(compareBytes(a, b)), Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
    }), { numRuns: 500 });
  });

  test('tar header parser and archive index reject junk with an error naming the file', async () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 512, maxLength: 512 }), (block) => {
      try { parseTarHeader(block); } catch (err) { assert.ok(err instanceof Error); }
    }), { numRuns: 300 });
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'junk.tar');
      await writeFile(file, Buffer.concat([validTar.subarray(0, 700)]));
      await assert.rejects(indexTarFile(file), (err: Error) => err.message.includes(file));
      const good = path.join(dir, 'good.tar');
      await writeFile(good, validTar);
      const index = await indexTarFile(good);
      assert.deepEqual([...index.keys()], ['dir/one', `long/${'x'.repeat(200)}`, 'dir/hard']);
    });
  });

  test('symlink resolution is loop-safe (40 hops) and chroot-like', () => {
    const tree = new Map<string, FileMeta>();
    const add = (p: string, type: FileMeta['type'], linkname?: string): void => {
      tree.set(p, { path: p, type, size: 0, mode: 0, layerIndex: 0, layerDigest: '', ...(linkname ? { linkname } : {}) });
    };
    add('etc', 'dir'); add('usr', 'dir'); add('usr/lib', 'dir'); add('usr/lib/os-release', 'file');
    add('etc/os-release', 'symlink', '../usr/lib/os-release');
    add('x', 'symlink', 'y'); add('y', 'symlink', 'x');
    add('up', 'symlink', '../../../../etc/os-release');
    const look = (p: string): FileMeta | undefined => tree.get(p);
    assert.deepEqual(resolveInTree(look, 'etc/os-release'), { ok: true, path: 'usr/lib/os-release', meta: tree.get('usr/lib/os-release') });
    const up = resolveInTree(look, 'up');
    assert.ok(up.ok);
    assert.equal(up.path, 'usr/lib/os-release');
    assert.deepEqual(resolveInTree(look, 'x/file'), { ok: false, reason: 'loop', at: 'x' });
  });
});

const validTar: Buffer = await makeTar([
  { path: 'dir/one', content: 'one' },
  { path: `long/${'x'.repeat(200)}`, content: 'pax name' },
  { path: 'dir/hard', type: 'hardlink', linkname: 'dir/one' },
]);
