import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readFile, readlink, rm, stat, symlink, link, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import { decompress as zstdDecompress } from 'zstd-napi';
import { buildImage, buildIndex, layerFromDirectory, makeTar, writeDockerArchive, writeOciArchive, writeOciLayout, MEDIA_TYPES } from '../../helpers/image-builder.ts';
import { requireOrSkip } from '../../helpers/shared-data.ts';

const run = promisify(execFile);
const hash = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Entry {
  name: string;
  type: string;
  mode: number;
  linkname: string | null;
  content: Buffer;
  devmajor: number;
  devminor: number;
}

async function readTar(tar: Buffer): Promise<Entry[]> {
  const out: Entry[] = [];
  const ex = tarExtract();
  const done = (async () => {
    for await (const entry of ex) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      const h = entry.header;
      out.push({ name: h.name, type: h.type, mode: h.mode, linkname: h.linkname ?? null, content: Buffer.concat(chunks), devmajor: h.devmajor, devminor: h.devminor });
    }
  })();
  ex.end(tar);
  await done;
  return out;
}

async function tmp(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pw-imgb-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const hasTool = (name: string): boolean => ['/usr/bin', '/usr/local/bin', '/bin'].some((d) => existsSync(path.join(d, name)));

describe('image-builder', () => {
  test('makeTar round-trips every entry type and long names', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(150)}.txt`;
    const tar = await makeTar([
      { path: './', type: 'dir' },
      { path: 'etc/', type: 'dir', mode: 0o755 },
      { path: 'etc/os-release', content: 'ID=debian\n', mode: 0o600 },
      { path: long, content: Buffer.from([0, 1, 2]) },
      { path: 'bin/sh', type: 'symlink', linkname: `/${'x'.repeat(130)}` },
      { path: 'bin/hard', type: 'hardlink', linkname: 'etc/os-release' },
      { path: 'dev/null', type: 'char', devmajor: 1, devminor: 3 },
      { path: 'dev/sda', type: 'block', devmajor: 8, devminor: 0 },
      { path: 'run/fifo', type: 'fifo' },
    ]);
    const entries = await readTar(tar);
    assert.deepEqual(entries.map((e) => e.name), ['./', 'etc/', 'etc/os-release', long, 'bin/sh', 'bin/hard', 'dev/null', 'dev/sda', 'run/fifo']);
    assert.deepEqual(entries.map((e) => e.type), ['directory', 'directory', 'file', 'file', 'symlink', 'link', 'character-device', 'block-device', 'fifo']);
    assert.equal(entries[2]?.content.toString(), 'ID=debian\n');
    assert.equal(entries[2]?.mode, 0o600);
    assert.equal(entries[4]?.linkname, `/${'x'.repeat(130)}`);
    assert.equal(entries[5]?.linkname, 'etc/os-release');
    assert.equal(entries[6]?.devmajor, 1);
    assert.equal(entries[6]?.devminor, 3);
  });

  test('buildImage digests, diff ids, config and compression are consistent', async () => {
    const img = await buildImage({
      layers: [
        { files: [{ path: 'a.txt', content: 'a' }] },
        { files: [{ path: 'b.txt', content: 'b' }], compression: 'zstd' },
        { files: [{ path: 'c.txt', content: 'c' }], compression: 'none' },
      ],
      config: { config: { Env: ['PATH=/bin'] } },
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    });
    for (const b of [img.manifest, img.config, ...img.layers]) {
      assert.equal(b.digest, hash(b.data));
      assert.equal(b.size, b.data.length);
    }
    assert.deepEqual(img.layers.map((l) => l.mediaType), [MEDIA_TYPES.ociLayerGzip, MEDIA_TYPES.ociLayerZstd, MEDIA_TYPES.ociLayerTar]);
    const tars = [gunzipSync(img.layers[0]!.data), zstdDecompress(img.layers[1]!.data), img.layers[2]!.data];
    assert.deepEqual(img.diffIds, tars.map(hash));
    const config = JSON.parse(img.config.data.toString()) as { architecture: string; variant: string; rootfs: { diff_ids: string[] }; history: unknown[]; config: { Env: string[] } };
    assert.equal(config.architecture, 'arm64');
    assert.equal(config.variant, 'v8');
    assert.deepEqual(config.rootfs.diff_ids, img.diffIds);
    assert.equal(config.history.length, 3);
    assert.deepEqual(config.config.Env, ['PATH=/bin']);
    const manifest = JSON.parse(img.manifest.data.toString()) as { mediaType: string; config: { digest: string }; layers: { digest: string; size: number }[] };
    assert.equal(manifest.mediaType, MEDIA_TYPES.ociManifest);
    assert.equal(manifest.config.digest, img.config.digest);
    assert.deepEqual(manifest.layers.map((l) => l.digest), img.layers.map((l) => l.digest));
    assert.equal((await readTar(tars[1]!))[0]?.name, 'b.txt');
    // Deterministic: the same spec builds the same digests.
    const again = await buildImage({ layers: [{ files: [{ path: 'a.txt', content: 'a' }] }] });
    const again2 = await buildImage({ layers: [{ files: [{ path: 'a.txt', content: 'a' }] }] });
    assert.equal(again.manifest.digest, again2.manifest.digest);
  });

  test('docker media types, raw blobs and indexes', async () => {
    const truncated = (await buildImage({ layers: [{ files: [{ path: 'x', content: 'x'.repeat(5000) }] }] })).layers[0]!.data.subarray(0, 20);
    const img = await buildImage({ layers: [{ files: [{ path: 'x', content: 'x' }] }, { rawBlob: truncated }], mediaTypes: 'docker' });
    assert.equal(img.manifest.mediaType, MEDIA_TYPES.dockerManifest);
    assert.equal(img.config.mediaType, MEDIA_TYPES.dockerConfig);
    assert.equal(img.layers[1]?.digest, hash(truncated));
    assert.equal(img.layers[1]?.mediaType, MEDIA_TYPES.dockerLayerGzip);
    const arm = await buildImage({ layers: [{ files: [{ path: 'y', content: 'y' }] }], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, mediaTypes: 'docker' });
    const idx = await buildIndex([img, arm], 'docker');
    assert.equal(idx.index.mediaType, MEDIA_TYPES.dockerManifestList);
    const parsed = JSON.parse(idx.index.data.toString()) as { manifests: { digest: string; platform: { architecture: string } }[] };
    assert.deepEqual(parsed.manifests.map((m) => [m.digest, m.platform.architecture]), [[img.manifest.digest, 'amd64'], [arm.manifest.digest, 'arm64']]);
  });

  test('layerFromDirectory keeps symlinks, hard links, modes and fifos', async (t) => {
    const dir = await tmp(t);
    await mkdir(path.join(dir, 'usr/bin'), { recursive: true });
    await writeFile(path.join(dir, 'usr/bin/tool'), '#!/bin/sh\n', { mode: 0o4755 });
    await link(path.join(dir, 'usr/bin/tool'), path.join(dir, 'usr/bin/tool2'));
    await symlink('tool', path.join(dir, 'usr/bin/alias'));
    await run('mkfifo', [path.join(dir, 'pipe')]);
    const spec = await layerFromDirectory(dir, { compression: 'none' });
    const entries = await readTar(spec.rawTar!);
    const byName = new Map(entries.map((e) => [e.name, e]));
    assert.equal(byName.get('usr/')?.type, 'directory');
    assert.equal(byName.get('usr/bin/tool')?.mode, (await stat(path.join(dir, 'usr/bin/tool'))).mode & 0o7777);
    assert.equal(byName.get('usr/bin/tool2')?.type, 'link');
    assert.equal(byName.get('usr/bin/tool2')?.linkname, 'usr/bin/tool');
    assert.equal(byName.get('usr/bin/alias')?.linkname, await readlink(path.join(dir, 'usr/bin/alias')));
    assert.equal(byName.get('pipe')?.type, 'fifo');
    const img = await buildImage({ layers: [spec] });
    assert.equal(img.diffIds[0], hash(spec.rawTar!));
  });

  test('layerFromDirectory round-trips through GNU tar: types, modes, owners, links, device numbers', async (t) => {
    if (!requireOrSkip(t, hasTool('tar'), 'GNU tar')) return;
    const dir = await tmp(t);
    const src = path.join(dir, 'src');
    await mkdir(path.join(src, 'etc'), { recursive: true });
    await mkdir(path.join(src, 'zoneinfo'));
    // A slice of a real system tree (a few hundred files) alongside the hand-made special files.
    await run('cp', ['-a', '/usr/share/zoneinfo/Europe', '/usr/share/zoneinfo/UTC', path.join(src, 'zoneinfo')]);
    await writeFile(path.join(src, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n', { mode: 0o644 });
    await writeFile(path.join(src, 'etc/suid'), 'x', { mode: 0o4755 });
    await link(path.join(src, 'etc/passwd'), path.join(src, 'etc/passwd-'));
    await symlink('../zoneinfo/UTC', path.join(src, 'etc/localtime'));
    await symlink('/nonexistent/target', path.join(src, 'etc/dangling'));
    await run('mkfifo', [path.join(src, 'etc/fifo')]);
    const isRoot = process.getuid?.() === 0;
    if (isRoot) {
      await mkdir(path.join(src, 'dev'));
      await run('mknod', [path.join(src, 'dev/null'), 'c', '1', '3']);
      await run('mknod', [path.join(src, 'dev/loop7'), 'b', '7', '7']);
      await run('chown', ['1234:4321', path.join(src, 'etc/passwd')]);
    }
    const layer = await layerFromDirectory(src, { compression: 'none' });
    await writeFile(path.join(dir, 'layer.tar'), layer.rawTar!);
    const out = path.join(dir, 'out');
    await mkdir(out);
    await run('tar', ['-xpf', path.join(dir, 'layer.tar'), '-C', out, '--numeric-owner']);
    const { stdout } = await run('find', [src, '-mindepth', '1', '-printf', '%P\\n']);
    const rels = stdout.split('\n').filter(Boolean).sort();
    assert.ok(rels.length > 50, `walked ${rels.length} entries`);
    for (const rel of rels) {
      const a = await lstat(path.join(src, rel));
      const b = await lstat(path.join(out, rel));
      const kind = (s: typeof a): string => (s.isSymbolicLink() ? 'l' : s.isDirectory() ? 'd' : s.isFIFO() ? 'p' : s.isCharacterDevice() ? 'c' : s.isBlockDevice() ? 'b' : 'f');
      assert.equal(kind(b), kind(a), rel);
      assert.equal(b.mode & 0o7777, a.mode & 0o7777, `mode of ${rel}`);
      if (isRoot) assert.deepEqual([b.uid, b.gid], [a.uid, a.gid], `owner of ${rel}`);
      if (a.isSymbolicLink()) assert.equal(await readlink(path.join(out, rel)), await readlink(path.join(src, rel)), rel);
      if (a.isFile()) {
        assert.equal(b.nlink, a.nlink, `link count of ${rel}`);
        assert.deepEqual(await readFile(path.join(out, rel)), await readFile(path.join(src, rel)), rel);
      }
      if (a.isCharacterDevice() || a.isBlockDevice()) assert.equal(b.rdev, a.rdev, `device numbers of ${rel}`);
    }
    assert.equal((await lstat(path.join(out, 'etc/passwd'))).ino, (await lstat(path.join(out, 'etc/passwd-'))).ino);
  });

  test('umoci unpacks and skopeo inspects the written OCI layout', async (t) => {
    if (!requireOrSkip(t, hasTool('umoci') && hasTool('skopeo'), 'umoci and skopeo')) return;
    const dir = await tmp(t);
    const img = await buildImage({
      layers: [
        { files: [{ path: 'etc/', type: 'dir' }, { path: 'etc/hostname', content: 'pw\n' }] },
        // Debian's umoci predates zstd layers; skopeo (above) reads them.
        { files: [{ path: 'usr/bin/z', content: 'plain layer', mode: 0o755 }], compression: 'none' },
      ],
    });
    await writeOciLayout(path.join(dir, 'layout'), img, 'v1');
    const { stdout } = await run('skopeo', ['inspect', '--raw', `oci:${path.join(dir, 'layout')}:v1`]);
    assert.equal(hash(Buffer.from(stdout)), img.manifest.digest);
    const info = JSON.parse((await run('skopeo', ['inspect', `oci:${path.join(dir, 'layout')}:v1`])).stdout) as { Digest: string; Architecture: string; Layers: string[] };
    assert.equal(info.Digest, img.manifest.digest);
    assert.equal(info.Architecture, 'amd64');
    assert.deepEqual(info.Layers, img.layers.map((l) => l.digest));
    await run('umoci', ['unpack', '--rootless', '--image', `${path.join(dir, 'layout')}:v1`, path.join(dir, 'bundle')]);
    assert.equal(await readFile(path.join(dir, 'bundle/rootfs/etc/hostname'), 'utf8'), 'pw\n');
    assert.equal(await readFile(path.join(dir, 'bundle/rootfs/usr/bin/z'), 'utf8'), 'plain layer');
    assert.ok((await lstat(path.join(dir, 'bundle/rootfs/usr/bin/z'))).mode & 0o100);
  });

  test('skopeo reads the OCI archive and both docker archive layouts', async (t) => {
    if (!requireOrSkip(t, hasTool('skopeo'), 'skopeo')) return;
    const dir = await tmp(t);
    const img = await buildImage({ layers: [{ files: [{ path: 'hello', content: 'world' }] }, { files: [{ path: 'z', content: 'z' }], compression: 'zstd' }] });
    await writeOciArchive(path.join(dir, 'img.oci.tar'), img, 'latest');
    const oci = JSON.parse((await run('skopeo', ['inspect', `oci-archive:${path.join(dir, 'img.oci.tar')}:latest`])).stdout) as { Digest: string };
    assert.equal(oci.Digest, img.manifest.digest);
    for (const legacyLayout of [false, true]) {
      const file = path.join(dir, `docker-${legacyLayout}.tar`);
      await writeDockerArchive(file, img, ['example.com/app:1.0'], { legacyLayout });
      const cfg = JSON.parse((await run('skopeo', ['inspect', '--config', `docker-archive:${file}`])).stdout) as { rootfs: { diff_ids: string[] } };
      assert.deepEqual(cfg.rootfs.diff_ids, img.diffIds, `legacyLayout=${legacyLayout}`);
      const entries = await readTar(await readFile(file));
      const manifest = JSON.parse(entries.find((e) => e.name === 'manifest.json')!.content.toString()) as { Layers: string[]; RepoTags: string[] }[];
      assert.deepEqual(manifest[0]?.RepoTags, ['example.com/app:1.0']);
      // Layers in a docker archive are the uncompressed tars.
      const layerHashes = manifest[0]!.Layers.map((p) => hash(entries.find((e) => e.name === p)!.content));
      assert.deepEqual(layerHashes, img.diffIds);
    }
  });
});
