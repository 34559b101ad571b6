import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { pack as tarPack } from 'tar-stream';
import { walkImage } from '../../src/image/walk.ts';
import { makeTar, type LayerSpec } from '../helpers/image-builder.ts';
import { layoutSource, recordingAnalyzer, renderTree, withTempDir } from './helpers.ts';

const file = (path: string, content = path): { path: string; content: string } => ({ path, content });

async function filesOf(layers: LayerSpec[], concurrency?: number): Promise<{ lines: string[]; warnings: string[] }> {
  return withTempDir(async (dir) => {
    const source = await layoutSource(dir, { layers });
    const r = await walkImage(source, { analyzers: [], collectTree: true, ...(concurrency ? { concurrency } : {}) });
    await source.close();
    return { lines: renderTree(r.tree ?? []), warnings: r.warnings };
  });
}

/** A tar whose headers say exactly what we write: for names tar-stream would refuse or rewrite. */
async function rawTar(entries: { name: string; type?: 'file' | 'link' | 'symlink' | 'directory'; content?: string; linkname?: string }[]): Promise<Buffer> {
  const p = tarPack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve) => p.on('end', () => resolve()));
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const header = { name: e.name, type: e.type ?? 'file', mode: 0o644, ...(e.linkname ? { linkname: e.linkname } : {}) };
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (e.type === 'file' || e.type === undefined) p.entry(header, Buffer.from(e.content ?? ''), cb);
      else p.entry(header, cb);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

describe('walkImage: final view', () => {
  test('whiteouts delete lower files and subtrees, never appear themselves', async () => {
    const { lines } = await filesOf([
      { files: [file('a/keep'), file('a/gone'), file('b/sub/deep'), file('b/sub2'), file('c')] },
      { files: [{ path: 'a/.wh.gone' }, { path: 'b/.wh.sub' }, { path: '.wh.c' }, file('d')] },
    ]);
    assert.deepEqual(lines, ['a/', 'a/keep', 'b/', 'b/sub2', 'd']);
  });

  test('opaque directory hides lower contents but keeps the same layer\'s', async () => {
    const { lines } = await filesOf([
      { files: [file('etc/old'), file('etc/sub/x'), file('other')] },
      { files: [{ path: 'etc/', type: 'dir' }, file('etc/new'), { path: 'etc/.wh..wh..opq' }] },
    ]);
    assert.deepEqual(lines, ['etc/', 'etc/new', 'other']);
  });

  test('a whiteout only affects lower layers, even if listed after a same-layer file', async () => {
    const { lines } = await filesOf([
      { files: [file('x/a')] },
      { rawTar: await rawTar([{ name: 'x/a', content: 'new' }, { name: 'x/.wh.a' }]), compression: 'gzip' },
    ]);
    assert.deepEqual(lines, ['x/', 'x/a']);
  });

  test('file replaced by a directory and vice versa; symlinks and hard links listed', async () => {
    const { lines } = await filesOf([
      { files: [file('p'), file('q/inner'), file('r')] },
      { files: [{ path: 'p/', type: 'dir' }, file('p/child'), file('q'), { path: 'l', type: 'symlink', linkname: '/etc/passwd' }, { path: 'h', type: 'hardlink', linkname: 'r2' }, file('r2')] },
    ]);
    assert.deepEqual(lines, ['h', 'l -> /etc/passwd', 'p/', 'p/child', 'q', 'r', 'r2']);
  });

  test('long names via PAX and GNU headers, ./ and / root entries', async () => {
    const longDir = `${'d'.repeat(120)}/${'e'.repeat(90)}`;
    const longName = `${longDir}/${'f'.repeat(150)}.txt`;
    // GNU long names written by hand: tar-stream only writes PAX.
    const gnuName = `gnu/${'g'.repeat(200)}`;
    const gnu = gnuLongNameTar(gnuName, 'hello');
    const { lines } = await filesOf([
      { rawTar: await rawTar([{ name: './', type: 'directory' }, { name: '/', type: 'directory' }, { name: `./${longName}`, content: 'x' }]), compression: 'none' },
      { rawTar: gnu, compression: 'gzip' },
    ]);
    assert.deepEqual(lines, ['d'.repeat(120) + '/', `${longDir}/`, longName, 'gnu/', gnuName]);
  });

  test('path traversal and absolute names: escaping entries skipped with a warning', async () => {
    const { lines, warnings } = await filesOf([
      { rawTar: await rawTar([{ name: '../../etc/passwd', content: 'evil' }, { name: '/../etc/shadow', content: 'evil' }, { name: '/abs/ok', content: 'x' }, { name: 'a/../b', content: 'y' }, { name: 'ok' }]), compression: 'gzip' },
    ]);
    assert.deepEqual(lines, ['abs/', 'abs/ok', 'b', 'ok']);
    assert.equal(warnings.filter((w) => w.includes('escapes the image root')).length, 2);
    assert.ok(warnings.some((w) => w.includes('../../etc/passwd')));
  });

  test('concurrency does not change the result', async () => {
    const layers: LayerSpec[] = Array.from({ length: 6 }, (_, i) => ({
      files: [file(`layer${i}/f`), file('shared', `v${i}`), ...(i > 0 ? [{ path: `layer${i - 1}/.wh.f` }] : [])],
      compression: i % 2 ? 'zstd' : 'gzip',
    }));
    const one = await filesOf(layers, 1);
    const many = await filesOf(layers, 6);
    assert.deepEqual(many.lines, one.lines);
    assert.deepEqual(one.lines, ['layer0/', 'layer1/', 'layer2/', 'layer3/', 'layer4/', 'layer5/', 'layer5/f', 'shared']);
  });
});

/** A tar with a GNU `L` long-name record followed by the file (ustar header, name truncated). */
function gnuLongNameTar(name: string, content: string): Buffer {
  const header = (n: string, size: number, type: string): Buffer => {
    const b = Buffer.alloc(512);
    b.write(n.slice(0, 99), 0, 'utf8');
    b.write('0000644\0', 100);
    b.write('0000000\0', 108);
    b.write('0000000\0', 116);
    b.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
    b.write('00000000000\0', 136);
    b.write(type, 156);
    b.write('ustar  \0', 257);
    b.fill(0x20, 148, 156);
    let sum = 0;
    for (const x of b) sum += x;
    b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    return b;
  };
  const pad = (buf: Buffer): Buffer => Buffer.concat([buf, Buffer.alloc((512 - (buf.length % 512)) % 512)]);
  const nameData = Buffer.from(`${name}\0`);
  return Buffer.concat([
    header('././@LongLink', nameData.length, 'L'), pad(nameData),
    header(name, content.length, '0'), pad(Buffer.from(content)),
    Buffer.alloc(1024),
  ]);
}

describe('walkImage: analyzers', () => {
  test('analyzers see only required files, final-scope fragments only for final writers', async () => {
    await withTempDir(async (dir) => {
      const source = await layoutSource(dir, {
        layers: [
          { files: [file('pkg/a.json', 'a0'), file('pkg/b.json', 'b0'), file('pkg/c.json', 'c0'), file('other.txt')] },
          { files: [file('pkg/a.json', 'a1'), { path: 'pkg/.wh.b.json' }, { path: 'pkg/c.json/', type: 'dir' }] },
        ],
      });
      const final = recordingAnalyzer('final', (p) => p.endsWith('.json'));
      const all = recordingAnalyzer('all', (p) => p.endsWith('.json'), 'all-layers');
      const r = await walkImage(source, { analyzers: [final.analyzer, all.analyzer] });
      assert.ok(!final.analyzed.some((s) => s.path === 'other.txt'));
      assert.deepEqual(final.analyzed.map((s) => s.content).sort(), ['a0', 'a1', 'b0', 'c0']);
      assert.deepEqual(final.finalized.map((f) => [f.path, f.layerIndex, f.value.content]), [['pkg/a.json', 1, 'a1']]);
      assert.deepEqual(
        all.finalized.map((f) => [f.path, f.layerIndex, f.deleted ?? false]),
        [['pkg/a.json', 0, true], ['pkg/b.json', 0, true], ['pkg/c.json', 0, true], ['pkg/a.json', 1, false]],
      );
      assert.equal(r.stats.filesBuffered, 4, "each file buffered once, shared by both analyzers");
      assert.equal(r.stats.layers, 2);
      assert.ok(r.outputs.has('final') && r.outputs.has('all'));
    });
  });

  test('a file written through a symlinked parent keeps its fragment; a later whiteout through the link drops it', async () => {
    await withTempDir(async (dir) => {
      const layers: LayerSpec[] = [
        { files: [{ path: 'usr/lib/', type: 'dir' }, { path: 'lib', type: 'symlink', linkname: '/usr/lib' }] },
        { files: [file('lib/os-release', 'ID=x'), file('lib/gone', 'g')] },
        { files: [{ path: 'lib/.wh.gone' }] },
      ];
      const source = await layoutSource(dir, { layers });
      const rec = recordingAnalyzer('r', (p) => p.startsWith('lib/'));
      const r = await walkImage(source, { analyzers: [rec.analyzer], collectTree: true });
      assert.deepEqual(renderTree(r.tree ?? []), ['lib -> /usr/lib', 'usr/', 'usr/lib/', 'usr/lib/os-release']);
      assert.deepEqual(rec.finalized.map((f) => [f.path, f.layerIndex]), [['lib/os-release', 1]]);
    });
  });

  test('analyzer errors and oversized files become warnings; the scan goes on', async () => {
    await withTempDir(async (dir) => {
      const source = await layoutSource(dir, { layers: [{ files: [file('big', 'x'.repeat(100)), file('bad'), file('good')] }] });
      const rec = recordingAnalyzer('small', () => true, 'final', 50);
      const failing = { ...recordingAnalyzer('boom', (p) => p === 'bad').analyzer, analyze: () => { throw new Error('parse error'); } };
      const r = await walkImage(source, { analyzers: [rec.analyzer, failing] });
      assert.deepEqual(rec.analyzed.map((s) => s.path).sort(), ['bad', 'good']);
      assert.ok(r.warnings.some((w) => /big .*exceeds analyzer small's limit of 50/.test(w)));
      assert.ok(r.warnings.some((w) => /analyzer boom failed on bad in layer sha256:[0-9a-f]{64}: parse error/.test(w)));
    });
  });

  test('hard links get their target content, from cache or a second read of the layer', async () => {
    await withTempDir(async (dir) => {
      const source = await layoutSource(dir, {
        layers: [{ files: [file('usr/bin/perl5.36', 'PERL'), { path: 'usr/bin/perl', type: 'hardlink', linkname: 'usr/bin/perl5.36' }, file('lib/x.so', 'SO'), { path: 'lib/y.so', type: 'hardlink', linkname: 'lib/x.so' }] }],
      });
      // Wants only the link for perl (second pass), both for the .so (cache).
      const rec = recordingAnalyzer('links', (p) => p === 'usr/bin/perl' || p.endsWith('.so'));
      await walkImage(source, { analyzers: [rec.analyzer] });
      const got = Object.fromEntries(rec.finalized.map((f) => [f.path, f.value.content]));
      assert.deepEqual(got, { 'usr/bin/perl': 'PERL', 'lib/x.so': 'SO', 'lib/y.so': 'SO' });
    });
  });
});

describe('walkImage: hostile and broken layers', () => {
  test('zstd and uncompressed layers, and a mislabelled gzip layer (bytes win, with a warning)', async () => {
    await withTempDir(async (dir) => {
      const tar = await makeTar([file('z')]);
      const source = await layoutSource(dir, { layers: [{ files: [file('a')], compression: 'zstd' }, { files: [file('b')], compression: 'none' }, { rawBlob: gzipSync(tar), compression: 'none' }] });
      const r = await walkImage(source, { analyzers: [], collectTree: true });
      assert.deepEqual(renderTree(r.tree ?? []), ['a', 'b', 'z']);
      assert.ok(r.warnings.some((w) => /media type says uncompressed but the content is gzip/.test(w)));
    });
  });

  test('truncated gzip → error naming the layer digest', async () => {
    await withTempDir(async (dir) => {
      const gz = gzipSync(await makeTar([file('a', 'x'.repeat(100_000)), file('b', 'y'.repeat(50_000))]));
      const source = await layoutSource(dir, { layers: [{ rawBlob: gz.subarray(0, gz.length - 200), compression: 'gzip' }] });
      const digest = source.layers[0]!.digest;
      await assert.rejects(walkImage(source, { analyzers: [] }), (err: Error) => err.message.includes(digest) && /truncated/.test(err.message));
    });
  });

  test('garbage instead of a tar → error naming the layer', async () => {
    await withTempDir(async (dir) => {
      const source = await layoutSource(dir, { layers: [{ rawBlob: Buffer.from('this is not a tar archive at all'.repeat(40)), compression: 'none' }] });
      await assert.rejects(walkImage(source, { analyzers: [] }), (err: Error) => err.message.includes(source.layers[0]!.digest));
    });
  });

  test('limits: entries and total bytes', async () => {
    await withTempDir(async (dir) => {
      const source = await layoutSource(dir, { layers: [{ files: Array.from({ length: 20 }, (_, i) => file(`f${i}`, 'z'.repeat(1000))) }] });
      await assert.rejects(walkImage(source, { analyzers: [], limits: { maxEntries: 10 } }), /more than 10 tar entries/);
      await assert.rejects(walkImage(source, { analyzers: [], limits: { maxTotalBytes: 5000 } }), /exceeds 5000 decompressed bytes/);
    });
  });

  test('abort signal stops the walk', async () => {
    await withTempDir(async (dir) => {
      const source = await layoutSource(dir, { layers: [{ files: [file('a')] }] });
      const controller = new AbortController();
      controller.abort(new Error('user cancelled'));
      await assert.rejects(walkImage(source, { analyzers: [], signal: controller.signal }), /user cancelled/);
    });
  });
});
