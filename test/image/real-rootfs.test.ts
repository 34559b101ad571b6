import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { requireOrSkip } from '../helpers/shared-data.ts';
import { DEBIAN_ROOTFS, debootstrapAvailable, ensureDebianRootfs } from '../helpers/debian-rootfs.ts';
import { buildImage, layerFromDirectory, writeOciLayout } from '../helpers/image-builder.ts';
import { openSource } from '../../src/image/open.ts';
import { walkImage } from '../../src/image/walk.ts';
import { renderFileLines } from '../../src/cli/commands/image.ts';
import { compareBytes } from '../../src/image/layers/paths.ts';
import { existsSync } from 'node:fs';
import { withTempDir } from './helpers.ts';

const run = promisify(execFile);
const haveUmoci = spawnSync('umoci', ['--version']).status === 0;

async function findListing(dir: string): Promise<string[]> {
  const { stdout } = await run('find', ['.', '-mindepth', '1', '-printf', '%P\\0%y\\0%l\\0'], { cwd: dir, maxBuffer: 256 * 1024 * 1024 });
  const parts = stdout.split('\0');
  const lines: string[] = [];
  for (let i = 0; i + 2 < parts.length; i += 3) {
    const [p, type, link] = [parts[i]!, parts[i + 1]!, parts[i + 2]!];
    lines.push(type === 'd' ? `${p}/` : type === 'l' ? `${p} -> ${link}` : p);
  }
  return lines.sort(compareBytes);
}

async function listTarget(target: string): Promise<string[]> {
  const source = await openSource(target);
  try {
    const r = await walkImage(source, { analyzers: [], collectTree: true });
    return renderFileLines(r.tree ?? []);
  } finally {
    await source.close();
  }
}

describe('real Debian rootfs (debootstrap bookworm)', () => {
  test('dir: listing equals find on the rootfs', async (t) => {
    if (!requireOrSkip(t, existsSync(`${DEBIAN_ROOTFS}.complete`) || debootstrapAvailable(), 'debootstrap (root) or a cached rootfs')) return;
    const rootfs = ensureDebianRootfs();
    assert.deepEqual(await listTarget(`dir:${rootfs}`), await findListing(rootfs));
  });

  test('two-layer image from it: image files equals umoci unpack', async (t) => {
    if (!requireOrSkip(t, existsSync(`${DEBIAN_ROOTFS}.complete`) || debootstrapAvailable(), 'debootstrap (root) or a cached rootfs')) return;
    if (!requireOrSkip(t, haveUmoci, 'umoci')) return;
    const rootfs = ensureDebianRootfs();
    await withTempDir(async (dir) => {
      const base = await layerFromDirectory(rootfs);
      const image = await buildImage({
        layers: [
          base,
          {
            files: [
              { path: 'usr/share/.wh.doc' },
              { path: 'etc/apt/', type: 'dir' },
              { path: 'etc/apt/.wh..wh..opq' },
              { path: 'etc/apt/sources.list', content: 'deb http://deb.debian.org/debian bookworm main\n' },
              // bookworm is usrmerged: lib -> usr/lib, so this lands in usr/lib/portwarden-test.
              { path: 'lib/portwarden-test', content: 'x' },
            ],
          },
        ],
      });
      const layout = path.join(dir, 'layout');
      await writeOciLayout(layout, image, 'v1');
      const bundle = path.join(dir, 'bundle');
      await run('umoci', ['unpack', '--rootless', '--image', `${layout}:v1`, bundle], { maxBuffer: 64 * 1024 * 1024 });
      const expected = await findListing(path.join(bundle, 'rootfs'));
      const actual = await listTarget(`oci:${layout}:v1`);
      assert.ok(expected.length > 5000, `a real rootfs (${expected.length} paths)`);
      assert.ok(expected.includes('usr/lib/portwarden-test') && !expected.some((l) => l.startsWith('usr/share/doc/')));
      assert.deepEqual(actual, expected);
    });
  });
});
