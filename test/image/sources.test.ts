import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { openSource } from '../../src/image/open.ts';
import { formatTarget, parseTarget } from '../../src/image/target.ts';
import { walkImage } from '../../src/image/walk.ts';
import { UserInputError } from '../../src/util/errors.ts';
import { buildImage, buildIndex, writeDockerArchive, writeOciArchive, writeOciLayout, type ImageSpec } from '../helpers/image-builder.ts';
import { requireOrSkip } from '../helpers/shared-data.ts';
import { recordingAnalyzer, renderTree, withTempDir } from './helpers.ts';

const run = promisify(execFile);

const spec: ImageSpec = {
  layers: [
    { files: [{ path: 'etc/os-release', content: 'ID=debian\n' }, { path: 'bin/', type: 'dir' }, { path: 'bin/sh', content: 'sh' }] },
    { files: [{ path: 'bin/.wh.sh' }, { path: 'app/main.js', content: 'js' }], compression: 'zstd' },
  ],
  config: { config: { User: 'app', Env: ['PATH=/bin'], Cmd: ['node', 'main.js'] } },
};
const EXPECTED = ['app/', 'app/main.js', 'bin/', 'etc/', 'etc/os-release'];

async function listFiles(target: string): Promise<string[]> {
  const source = await openSource(target);
  try {
    const r = await walkImage(source, { analyzers: [], collectTree: true });
    return renderTree(r.tree ?? []);
  } finally {
    await source.close();
  }
}

describe('parseTarget', () => {
  test('transports, first-colon split like skopeo', () => {
    assert.deepEqual(parseTarget('oci:/tmp/layout'), { transport: 'oci', path: '/tmp/layout' });
    assert.deepEqual(parseTarget('oci:/tmp/layout:v1.2'), { transport: 'oci', path: '/tmp/layout', tag: 'v1.2' });
    assert.deepEqual(parseTarget('oci-archive:img.tar:a:b'), { transport: 'oci-archive', path: 'img.tar', tag: 'a:b' });
    assert.deepEqual(parseTarget('docker-archive:x.tar:nginx:1.25'), { transport: 'docker-archive', path: 'x.tar', tag: 'nginx:1.25' });
    assert.deepEqual(parseTarget('docker-archive:x.tar:@2'), { transport: 'docker-archive', path: 'x.tar', index: 2 });
    assert.deepEqual(parseTarget('oci:C:\\images\\x:tag'), { transport: 'oci', path: 'C:\\images\\x', tag: 'tag' });
    assert.deepEqual(parseTarget('dir:/srv/root:fs'), { transport: 'dir', path: '/srv/root:fs' });
    assert.deepEqual(parseTarget('sbom:./bom.json'), { transport: 'sbom', path: './bom.json' });
  });

  test('registry references, bare or docker://', () => {
    const bare = parseTarget('nginx:1.25');
    assert.equal(bare.transport, 'registry');
    assert.equal(formatTarget(bare), 'docker://docker.io/library/nginx:1.25');
    assert.equal(formatTarget(parseTarget('docker://localhost:5000/a/b:t')), 'docker://localhost:5000/a/b:t');
    assert.equal(parseTarget('registry:5000/app').transport, 'registry');
  });

  test('helpful errors', () => {
    assert.throws(() => parseTarget(''), UserInputError);
    assert.throws(() => parseTarget('oci:'), /needs a path/);
    assert.throws(() => parseTarget('docker-archive:x.tar:@x'), /@N must be an image index/);
    assert.throws(() => parseTarget('docker-daemon:nginx:latest'), /not supported; export the image first/);
    assert.throws(() => parseTarget('oci:dir:bad tag'), /not a valid OCI reference name/);
  });
});

describe('sources', () => {
  test('oci: layout by tag, config and layers described', async () => {
    await withTempDir(async (dir) => {
      const image = await buildImage(spec);
      await writeOciLayout(path.join(dir, 'l'), image, 'v1');
      assert.deepEqual(await listFiles(`oci:${dir}/l:v1`), EXPECTED);
      assert.deepEqual(await listFiles(`oci:${dir}/l`), EXPECTED, 'a single image needs no tag');
      const source = await openSource(`oci:${dir}/l:v1`);
      assert.equal(source.digest, image.manifest.digest);
      assert.equal(source.configDigest, image.config.digest);
      assert.deepEqual(source.layers.map((l) => [l.digest, l.compression, l.diffId]), image.layers.map((l, i) => [l.digest, i ? 'zstd' : 'gzip', image.diffIds[i]]));
      assert.equal(source.config.config?.User, 'app');
      await assert.rejects(openSource(`oci:${dir}/l:nope`), /no image tagged "nope" \(tags: v1\)/);
    });
  });

  test('oci: multi-platform index picks the platform and says why', async () => {
    await withTempDir(async (dir) => {
      const amd = await buildImage({ layers: [{ files: [{ path: 'amd64' }] }], platform: { os: 'linux', architecture: 'amd64' } });
      const arm = await buildImage({ layers: [{ files: [{ path: 'arm64' }] }], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
      await writeOciLayout(dir, await buildIndex([amd, arm]), 'multi');
      const def = await openSource(`oci:${dir}:multi`);
      assert.equal(def.digest, amd.manifest.digest);
      assert.match(def.platformReason ?? '', /default linux\/amd64/);
      const picked = await openSource(`oci:${dir}:multi`, { platform: 'linux/arm64/v8' });
      assert.equal(picked.digest, arm.manifest.digest);
      assert.deepEqual(picked.platform, { os: 'linux', architecture: 'arm64' });
      const r = await walkImage(picked, { analyzers: [], collectTree: true });
      assert.deepEqual(renderTree(r.tree ?? []), ['arm64']);
      await assert.rejects(openSource(`oci:${dir}:multi`, { platform: 'linux/s390x' }), /available: linux\/amd64, linux\/arm64/);
    });
  });

  test('oci: a tampered layer blob fails with the digest named; a tampered config at open', async () => {
    await withTempDir(async (dir) => {
      const image = await buildImage({ layers: [{ files: [{ path: 'etc/passwd', content: 'root:x:0:0' }], compression: 'none' }] });
      await writeOciLayout(dir, image, 'v1');
      const victim = image.layers[0]!;
      const blobFile = path.join(dir, 'blobs/sha256', victim.digest.slice(7));
      // Same size, still a valid tar: only the digest can tell.
      const tampered = Buffer.from((await readFile(blobFile)).toString('latin1').replace('root:x:0:0', 'evil:x:0:0'), 'latin1');
      await writeFile(blobFile, tampered);
      const source = await openSource(`oci:${dir}:v1`);
      await assert.rejects(walkImage(source, { analyzers: [] }), (err: Error) => err.message.includes(victim.digest) && /content digest is sha256:/.test(err.message));
      await writeFile(path.join(dir, 'blobs/sha256', image.config.digest.slice(7)), '{"tampered":true}');
      await assert.rejects(openSource(`oci:${dir}:v1`), (err: Error) => err.message.includes(image.config.digest));
    });
  });

  test('oci-archive: blobs streamed from the tar', async () => {
    await withTempDir(async (dir) => {
      const image = await buildImage(spec);
      const file = path.join(dir, 'img.tar');
      await writeOciArchive(file, image, 'v1');
      assert.deepEqual(await listFiles(`oci-archive:${file}:v1`), EXPECTED);
      const source = await openSource(`oci-archive:${file}`);
      assert.equal(source.digest, image.manifest.digest);
      assert.equal(source.transport, 'oci-archive');
      assert.deepEqual(await readdir(dir), ['img.tar'], 'nothing extracted');
      await writeFile(path.join(dir, 'junk.tar'), Buffer.alloc(3000, 7));
      await assert.rejects(openSource(`oci-archive:${dir}/junk.tar`), /not a valid tar archive/);
      await assert.rejects(openSource(`oci-archive:${dir}/missing.tar`), /no such file/);
    });
  });

  for (const legacyLayout of [false, true]) {
    test(`docker-archive (${legacyLayout ? 'legacy <id>/layer.tar' : 'Docker 25+ blobs/'} layout)`, async () => {
      await withTempDir(async (dir) => {
        const image = await buildImage({ ...spec, mediaTypes: 'docker' });
        const file = path.join(dir, 'save.tar');
        await writeDockerArchive(file, image, ['example.com/app:1.0', 'nginx:latest'], { legacyLayout });
        assert.deepEqual(await listFiles(`docker-archive:${file}`), EXPECTED);
        assert.deepEqual(await listFiles(`docker-archive:${file}:docker.io/library/nginx:latest`), EXPECTED);
        const source = await openSource(`docker-archive:${file}:@0`);
        assert.deepEqual(source.layers.map((l) => l.digest), image.diffIds, 'uncompressed layers: digest = diff_id');
        assert.equal(source.configDigest, image.config.digest);
        assert.deepEqual(source.config.config?.Cmd, ['node', 'main.js']);
        // Docker 25+ saves carry an OCI manifest for the image: its digest identifies the image.
        if (legacyLayout) assert.equal(source.digest, undefined);
        else assert.match(source.digest ?? '', /^sha256:[0-9a-f]{64}$/);
        await assert.rejects(openSource(`docker-archive:${file}:other:1`), /no image tagged other:1 \(tags: example.com\/app:1.0, nginx:latest\)/);
        await assert.rejects(openSource(`docker-archive:${file}:@3`), /no image @3/);
      });
    });
  }

  test('dir: walks a root filesystem without following symlinks', async () => {
    await withTempDir(async (dir) => {
      const root = path.join(dir, 'root');
      await mkdir(path.join(root, 'etc'), { recursive: true });
      await writeFile(path.join(root, 'etc/os-release'), 'ID=alpine\n');
      await symlink('/etc', path.join(root, 'link-out'));
      await symlink('loop', path.join(root, 'loop'));
      const rec = recordingAnalyzer('os', (p) => p === 'etc/os-release');
      const source = await openSource(`dir:${root}`);
      const r = await walkImage(source, { analyzers: [rec.analyzer], collectTree: true });
      assert.deepEqual(renderTree(r.tree ?? []), ['etc/', 'etc/os-release', 'link-out -> /etc', 'loop -> loop']);
      assert.deepEqual(rec.finalized.map((f) => [f.path, f.layerIndex, f.layerDigest, f.value.content]), [['etc/os-release', 0, '', 'ID=alpine\n']]);
      await assert.rejects(openSource(`dir:${dir}/missing`), UserInputError);
    });
  });

  test('a path containing ":" is accepted when it exists whole', async () => {
    await withTempDir(async (dir) => {
      const image = await buildImage(spec);
      const odd = path.join(dir, 'odd:name');
      await writeOciLayout(odd, image, 'v1');
      assert.deepEqual(await listFiles(`oci:${odd}`), EXPECTED);
    });
  });
});

describe('archives written by skopeo (containers/image)', () => {
  const haveSkopeo = spawnSync('skopeo', ['--version']).status === 0;
  test('oci-archive and docker-archive from skopeo copy list the same files as the layout', async (t) => {
    if (!requireOrSkip(t, haveSkopeo, 'skopeo')) return;
    await withTempDir(async (dir) => {
      const image = await buildImage({ ...spec, layers: spec.layers.map((l) => ({ ...l, compression: 'gzip' as const })) });
      await writeOciLayout(path.join(dir, 'l'), image, 'v1');
      const ociArchive = path.join(dir, 'oci.tar');
      const dockerArchive = path.join(dir, 'docker.tar');
      await run('skopeo', ['copy', '--quiet', `oci:${dir}/l:v1`, `oci-archive:${ociArchive}:v1`]);
      await run('skopeo', ['copy', '--quiet', `oci:${dir}/l:v1`, `docker-archive:${dockerArchive}:example.com/app:v1`]);
      assert.deepEqual(await listFiles(`oci-archive:${ociArchive}:v1`), EXPECTED);
      assert.deepEqual(await listFiles(`docker-archive:${dockerArchive}`), EXPECTED);
      const docker = await openSource(`docker-archive:${dockerArchive}:example.com/app:v1`);
      assert.deepEqual(docker.layers.map((l) => l.diffId), image.diffIds);
      assert.deepEqual(docker.config.config?.Cmd, ['node', 'main.js']);
      const oci = await openSource(`oci-archive:${ociArchive}:v1`);
      assert.deepEqual(oci.layers.map((l) => l.diffId), image.diffIds);
    });
  });
});
