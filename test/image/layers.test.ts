import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import path from 'node:path';
import { compress as zstdCompress } from 'zstd-napi';
import { createZstdDecompressor, detectCompression, compressionFromMediaType } from '../../src/image/layers/decompress.ts';
import { walkImage } from '../../src/image/walk.ts';
import { openSource } from '../../src/image/open.ts';
import { buildImage, buildIndex, makeTar, writeOciLayout } from '../helpers/image-builder.ts';
import { memorySource, renderTree, withTempDir } from './helpers.ts';

async function collect(stream: Readable, transform: NodeJS.ReadWriteStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(stream, transform, new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } }));
  return Buffer.concat(chunks);
}

describe('decompression', () => {
  test('magic bytes and media types', () => {
    assert.equal(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0])), 'gzip');
    assert.equal(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd');
    assert.equal(detectCompression(Buffer.from('ustar')), 'none');
    assert.equal(detectCompression(Buffer.alloc(0)), 'none');
    assert.equal(compressionFromMediaType('application/vnd.docker.image.rootfs.diff.tar.gzip'), 'gzip');
    assert.equal(compressionFromMediaType('application/vnd.oci.image.layer.v1.tar+zstd'), 'zstd');
    assert.equal(compressionFromMediaType('application/vnd.oci.image.layer.v1.tar'), 'none');
  });

  test('zstd: native and pure-JS fallback agree; a cut frame is an error', async () => {
    const data = Buffer.from('portwarden '.repeat(50_000));
    const z = zstdCompress(data);
    for (const fallback of [false, true]) {
      assert.deepEqual(await collect(Readable.from([z]), createZstdDecompressor(fallback)), data);
      await assert.rejects(collect(Readable.from([z.subarray(0, z.length - 10)]), createZstdDecompressor(fallback)));
    }
  });

  test('truncated zstd layer → error naming the layer', async () => {
    const tar = await makeTar([{ path: 'a', content: 'x'.repeat(200_000) }]);
    const z = zstdCompress(tar);
    const source = memorySource([{ data: z.subarray(0, z.length - 50), compression: 'zstd' }]);
    await assert.rejects(walkImage(source, { analyzers: [] }), (err: Error) => /layer sha256:0{64}: truncated zstd data/.test(err.message));
  });
});

describe('entries', () => {
  test('devices and fifos are listed, never read; over-long paths skipped with a warning', async () => {
    const tar = await makeTar([
      { path: 'dev/', type: 'dir' },
      { path: 'dev/null', type: 'char', devmajor: 1, devminor: 3 },
      { path: 'dev/sda', type: 'block', devmajor: 8, devminor: 0 },
      { path: 'run/fifo', type: 'fifo' },
      { path: `long/${'p'.repeat(300)}`, content: 'x' },
    ]);
    const seen: string[] = [];
    const analyzer = { name: 'all', version: 1, kind: 'language' as const, required: (p: string) => { seen.push(p); return true; }, analyze: () => 1, finalize: () => ({}) };
    const r = await walkImage(memorySource([{ data: tar, compression: 'none' }]), { analyzers: [analyzer], collectTree: true, limits: { maxPathLength: 200 } });
    assert.deepEqual(renderTree(r.tree ?? []), ['dev/', 'dev/null', 'dev/sda', 'run/', 'run/fifo']);
    assert.deepEqual(seen, [], 'analyzers are asked about regular files and hard links only');
    assert.ok(r.warnings.some((w) => /path longer than 200 bytes/.test(w)));
  });

  test('nested index (index → index → manifest) in an OCI layout', async () => {
    await withTempDir(async (dir) => {
      const img = await buildImage({ layers: [{ files: [{ path: 'inner' }] }], platform: { os: 'linux', architecture: 'amd64' } });
      const inner = await buildIndex([img]);
      // An outer index whose one entry is the inner index (as some tools write for attestations).
      const outer = { index: { ...inner.index }, images: inner.images };
      const outerJson = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: inner.index.mediaType, digest: inner.index.digest, size: inner.index.size, platform: { os: 'linux', architecture: 'amd64' } }] }));
      const { createHash } = await import('node:crypto');
      outer.index = { mediaType: inner.index.mediaType, data: outerJson, size: outerJson.length, digest: `sha256:${createHash('sha256').update(outerJson).digest('hex')}` };
      await writeOciLayout(dir, inner, 'v1');
      const { writeFile, readFile } = await import('node:fs/promises');
      await writeFile(path.join(dir, 'blobs/sha256', outer.index.digest.slice(7)), outerJson);
      const indexJson = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string; size: number }[] };
      indexJson.manifests[0]!.digest = outer.index.digest;
      indexJson.manifests[0]!.size = outer.index.size;
      await writeFile(path.join(dir, 'index.json'), JSON.stringify(indexJson));
      const source = await openSource(`oci:${dir}:v1`);
      assert.equal(source.digest, img.manifest.digest);
      const r = await walkImage(source, { analyzers: [], collectTree: true });
      assert.deepEqual(renderTree(r.tree ?? []), ['inner']);
    });
  });
});
