import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, requireOrSkip } from '../helpers/shared-data.ts';
import { buildImage, buildIndex, pushImage, writeDockerArchive, writeOciLayout, type ImageSpec } from '../helpers/image-builder.ts';
import { registryAvailable, startRegistry } from '../helpers/registry.ts';
import { compareBytes } from '../../src/image/layers/paths.ts';
import { withTempDir } from './helpers.ts';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'bin/portwarden.js');
const haveUmoci = spawnSync('umoci', ['--version']).status === 0;

async function portwarden(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

/** `find` over an unpacked rootfs rendered like `image files`. */
async function listRootfs(dir: string): Promise<string[]> {
  const { stdout } = await run('find', ['.', '-mindepth', '1', '-printf', '%P\\0%y\\0%l\\0'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
  const parts = stdout.split('\0');
  const lines: string[] = [];
  for (let i = 0; i + 2 < parts.length; i += 3) {
    const [p, type, link] = [parts[i]!, parts[i + 1]!, parts[i + 2]!];
    lines.push(type === 'd' ? `${p}/` : type === 'l' ? `${p} -> ${link}` : p);
  }
  return lines.sort(compareBytes);
}

const long = `deep/${'n'.repeat(110)}/${'m'.repeat(120)}/file-with-a-rather-long-name-${'x'.repeat(40)}.txt`;
const layered: ImageSpec = {
  layers: [
    {
      files: [
        { path: 'etc/', type: 'dir' },
        { path: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
        { path: 'etc/opaque/', type: 'dir' },
        { path: 'etc/opaque/lower', content: 'lower' },
        { path: 'etc/opaque/sub/x', content: 'x' },
        { path: 'usr/bin/perl5', content: 'perl', mode: 0o755 },
        { path: 'usr/bin/perl', type: 'hardlink', linkname: 'usr/bin/perl5' },
        { path: 'gone/deep/file', content: 'g' },
        { path: 'replaced', content: 'file first' },
        { path: long, content: 'long' },
        { path: 'loop-a', type: 'symlink', linkname: 'loop-b' },
        { path: 'loop-b', type: 'symlink', linkname: 'loop-a' },
        { path: 'abs-link', type: 'symlink', linkname: '/etc/passwd' },
        { path: 'usr/lib/', type: 'dir' },
        { path: 'lib', type: 'symlink', linkname: 'usr/lib' },
      ],
    },
    {
      files: [
        { path: 'etc/opaque/', type: 'dir' },
        { path: 'etc/opaque/.wh..wh..opq' },
        { path: 'etc/opaque/upper', content: 'upper' },
        { path: '.wh.gone' },
        { path: 'replaced/', type: 'dir' },
        { path: 'replaced/now-a-dir', content: 'd' },
        { path: 'usr/bin/.wh.perl5' },
        // Written below a lower layer's symlink: extraction follows it (usr/lib/via-link).
        { path: 'lib/via-link', content: 'v' },
      ],
      compression: 'zstd',
    },
  ],
  config: { config: { User: '1000', Entrypoint: ['/bin/app'], Labels: { 'org.opencontainers.image.source': 'https://example.com' } } },
};

describe('portwarden image', () => {
  test('image files equals umoci unpack of the same image', async (t) => {
    if (!requireOrSkip(t, haveUmoci, 'umoci')) return;
    await withTempDir(async (dir) => {
      const layout = path.join(dir, 'layout');
      // umoci 0.4 cannot read zstd layers.
      const gzipOnly = { ...layered, layers: layered.layers.map((l) => ({ ...l, compression: 'gzip' as const })) };
      await writeOciLayout(layout, await buildImage(gzipOnly), 'v1');
      const bundle = path.join(dir, 'bundle');
      await run('umoci', ['unpack', '--rootless', '--image', `${layout}:v1`, bundle]);
      const expected = await listRootfs(path.join(bundle, 'rootfs'));
      const { stdout, stderr, code } = await portwarden('image', 'files', `oci:${layout}:v1`);
      assert.equal(code, 0, stderr);
      assert.deepEqual(stdout.split('\n').filter(Boolean), expected);
      // Sanity: the fixture really exercised whiteouts, opaque dirs and hard links.
      assert.ok(expected.includes('etc/opaque/upper') && !expected.includes('etc/opaque/lower'));
      assert.ok(expected.includes('usr/bin/perl') && !expected.includes('usr/bin/perl5'));
      assert.ok(!expected.some((l) => l.startsWith('gone')));
      assert.ok(expected.includes(long));
      assert.ok(expected.includes('usr/lib/via-link') && expected.includes('lib -> usr/lib'));
    });
  });

  test('image files --resolve reports symlink loops instead of hanging', async () => {
    await withTempDir(async (dir) => {
      await writeOciLayout(dir, await buildImage(layered), 'v1');
      const { stdout, code } = await portwarden('image', 'files', '--resolve', `oci:${dir}:v1`);
      assert.equal(code, 0);
      const lines = stdout.split('\n');
      assert.ok(lines.includes('loop-a -> loop-b => (loop at /loop-a)') || lines.includes('loop-a -> loop-b => (loop at /loop-b)'), stdout);
      assert.ok(lines.includes('abs-link -> /etc/passwd => /etc/passwd'));
    });
  });

  test('image inspect: json and table', async () => {
    await withTempDir(async (dir) => {
      const image = await buildImage({ ...layered, mediaTypes: 'docker' });
      const file = path.join(dir, 'save.tar');
      await writeDockerArchive(file, image, ['example.com/app:2']);
      const json = await portwarden('image', 'inspect', '--format', 'json', `docker-archive:${file}:example.com/app:2`);
      assert.equal(json.code, 0, json.stderr);
      const view = JSON.parse(json.stdout) as { platform: string; configDigest: string; layers: { digest: string; diffId: string; createdBy: string }[]; config: { user: string; entrypoint: string[]; labels: Record<string, string> } };
      assert.equal(view.platform, 'linux/amd64');
      assert.equal(view.configDigest, image.config.digest);
      assert.deepEqual(view.layers.map((l) => l.diffId), image.diffIds);
      assert.deepEqual(view.layers.map((l) => l.createdBy), ['portwarden-test layer 0', 'portwarden-test layer 1']);
      assert.equal(view.config.user, '1000');
      assert.deepEqual(view.config.entrypoint, ['/bin/app']);
      assert.equal(view.config.labels['org.opencontainers.image.source'], 'https://example.com');
      const table = await portwarden('image', 'inspect', `docker-archive:${file}`);
      assert.match(table.stdout, /^Platform\s+linux\/amd64$/m);
      assert.match(table.stdout, /^Layers \(2\)$/m);
    });
  });

  test('registry targets: image files and inspect through basic auth, platform from an index', async (t) => {
    if (!requireOrSkip(t, registryAvailable(), 'docker-registry, htpasswd, openssl')) return;
    const registry = await startRegistry({ auth: 'basic', username: 'alice', password: 's3cret' });
    try {
      const amd = await buildImage({ ...layered, platform: { os: 'linux', architecture: 'amd64' } });
      const arm = await buildImage({ layers: [{ files: [{ path: 'only-on-arm' }] }], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
      const { digest } = await pushImage(registry, 'team/app', 'v1', await buildIndex([amd, arm]));
      const ref = `${registry.host}/team/app:v1`;
      const files = await portwarden('image', 'files', '--creds', 'alice:s3cret', '--platform', 'linux/arm64', ref);
      assert.equal(files.code, 0, files.stderr);
      assert.deepEqual(files.stdout.split('\n').filter(Boolean), ['only-on-arm']);
      const inspect = await portwarden('image', 'inspect', '--format', 'json', '--creds', 'alice:s3cret', `docker://${ref}`);
      assert.equal(inspect.code, 0, inspect.stderr);
      const view = JSON.parse(inspect.stdout) as { digest: string; platform: string; platformReason: string };
      assert.equal(view.digest, amd.manifest.digest);
      assert.notEqual(view.digest, digest, 'the platform manifest, not the index');
      assert.equal(view.platform, 'linux/amd64');
      assert.match(view.platformReason, /linux\/amd64/);
      const denied = await portwarden('image', 'files', '--creds', 'alice:wrong', ref);
      assert.notEqual(denied.code, 0);
    } finally {
      await registry.stop();
    }
  });

  test('bad targets exit 2 with a message', async () => {
    const r = await portwarden('image', 'files', 'oci:/definitely/not/here');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /error: oci:\/definitely\/not\/here: cannot open the layout directory/);
    const f = await portwarden('image', 'inspect', '--format', 'xml', 'oci:/x');
    assert.equal(f.code, 2);
  });
});
