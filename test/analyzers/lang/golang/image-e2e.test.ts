/**
 * Go, Java and Rust analyzers through the real layer walker and inventory builder, on an OCI
 * layout built here: a Go binary found by its execute bit (and a non-executable copy ignored), a hard link to it,
 * a fat jar, a Cargo.lock, a jar deleted by a whiteout and a binary replaced in a later layer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { buildImage, writeOciLayout } from '../../../helpers/image-builder.ts';
import { requireOrSkip } from '../../../helpers/shared-data.ts';
import { HAVE_GO, goBuilds } from './build-fixtures.ts';
import { openSource } from '../../../../src/image/open.ts';
import { walkImage } from '../../../../src/image/walk.ts';
import { buildInventory } from '../../../../src/analyzers/inventory.ts';
import { goBinaryAnalyzer, goModAnalyzer } from '../../../../src/analyzers/lang/golang/index.ts';
import { javaArchiveAnalyzer } from '../../../../src/analyzers/lang/java/index.ts';
import { cargoLockAnalyzer, rustBinaryAnalyzer } from '../../../../src/analyzers/lang/rust/index.ts';
import type { Analyzer } from '../../../../src/analyzers/types.ts';

const ANALYZERS = [goBinaryAnalyzer, goModAnalyzer, javaArchiveAnalyzer, cargoLockAnalyzer, rustBinaryAnalyzer] as Analyzer[];

const pom = (g: string, a: string, v: string) => ({ [`META-INF/maven/${g}/${a}/pom.properties`]: strToU8(`groupId=${g}\nartifactId=${a}\nversion=${v}\n`) });

test('Go binary, fat jar and Cargo.lock through walkImage + buildInventory', async (t) => {
  if (!requireOrSkip(t, HAVE_GO, 'go toolchain (golang-go)')) return;
  const { binaries } = await goBuilds();
  const goBin = readFileSync(binaries['linux-amd64'] as string);
  const stripped = readFileSync(binaries['linux-amd64-stripped'] as string);
  const fat = zipSync({ ...pom('com.example', 'svc', '1.0.0'), 'BOOT-INF/lib/log4j-core-2.14.1.jar': [zipSync(pom('org.apache.logging.log4j', 'log4j-core', '2.14.1')), { level: 0 }] });
  const cargoLock = 'version = 3\n\n[[package]]\nname = "tool"\nversion = "0.1.0"\ndependencies = ["smallvec"]\n\n[[package]]\nname = "smallvec"\nversion = "1.6.0"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-lang-e2e-'));
  try {
    const image = await buildImage({ layers: [
      { files: [
        { path: 'usr/local/bin/app', content: goBin, mode: 0o755 },
        { path: 'usr/local/bin/replaced', content: goBin, mode: 0o755 },
        { path: 'usr/bin/app-link', type: 'hardlink', linkname: 'usr/local/bin/app', mode: 0o755 },
        { path: 'data/app-copy', content: goBin, mode: 0o644 },
        { path: 'opt/svc/svc.jar', content: Buffer.from(fat) },
        { path: 'opt/old/old-lib-0.1.jar', content: Buffer.from(zipSync(pom('org.old', 'old-lib', '0.1'))) },
        { path: 'src/tool/Cargo.lock', content: cargoLock },
      ] },
      { files: [
        { path: 'opt/old/.wh.old-lib-0.1.jar', content: '' },
        { path: 'usr/local/bin/replaced', content: stripped, mode: 0o755 },
      ] },
    ] });
    await writeOciLayout(dir, image, 'test');
    const source = await openSource(`oci:${dir}:test`);
    let inv;
    try {
      const res = await walkImage(source, { analyzers: ANALYZERS });
      assert.deepEqual(res.warnings, []);
      inv = buildInventory(res.outputs.values());
    } finally {
      await source.close();
    }
    const [l0, l1] = image.layers.map((l) => l.digest);
    const at = (name: string, version: string) => inv.packages.find((p) => p.name === name && p.version === version);

    // The same module set from two binaries merges into one package with two locations.
    // A hard link is analyzed with its target's content.
    assert.deepEqual(at('example.com/dep', 'v1.4.0')?.locations.map((l) => `${l.layer === l0 ? 0 : l.layer === l1 ? 1 : '?'}:${l.path}`).sort(), [
      '0:usr/bin/app-link', '0:usr/local/bin/app', '1:usr/local/bin/replaced',
    ]);
    assert.equal(at('stdlib', '1.19.8')?.purl, 'pkg:golang/stdlib@1.19.8');
    assert.equal(at('example.com/app', '3.4.5')?.locations[0]?.path, 'usr/local/bin/replaced', 'ldflags version from the replacing layer');
    assert.ok(inv.packages.every((p) => !p.locations.some((l) => l.path === 'data/app-copy')), 'non-executable copy is not read');

    assert.deepEqual(at('org.apache.logging.log4j:log4j-core', '2.14.1')?.locations, [{ layer: l0, path: 'opt/svc/svc.jar' }]);
    assert.equal(at('org.apache.logging.log4j:log4j-core', '2.14.1')?.metadata?.archivePath, 'svc.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar');
    assert.ok(at('com.example:svc', '1.0.0'));
    assert.equal(at('org.old:old-lib', '0.1'), undefined, 'whited-out jar is gone');

    assert.equal(at('smallvec', '1.6.0')?.purl, 'pkg:cargo/smallvec@1.6.0');
    assert.equal(at('smallvec', '1.6.0')?.ecosystem, 'crates.io');
    assert.ok(at('tool', '0.1.0'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
