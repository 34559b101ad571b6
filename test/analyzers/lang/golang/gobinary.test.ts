import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { requireOrSkip } from '../../../helpers/shared-data.ts';
import { HAVE_GO, goBuilds, goVersionM } from './build-fixtures.ts';
import {
  goBinaryAnalyzer, goBinaryPackages, parseModinfo, readGoBuildInfo, stdlibVersion, versionFromLdflags,
} from '../../../../src/analyzers/lang/golang/index.ts';
import { parseExecutable } from '../../../../src/analyzers/binary/exe.ts';
import type { FileMeta } from '../../../../src/image/types.ts';

function meta(path: string, size: number, mode = 0o755): FileMeta {
  return { path, type: 'file', size, mode, layerIndex: 0, layerDigest: 'sha256:aa' };
}

/** Independent reading of `go version -m` output: module lines as the tool prints them. */
function modulesFromTool(out: string): { goVersion: string; main: string; deps: { path: string; version: string; replace?: { path: string; version: string } }[]; settings: Map<string, string> } {
  const lines = out.split('\n');
  const goVersion = (lines[0] ?? '').split(': ').pop() ?? '';
  let main = '';
  const deps: { path: string; version: string; replace?: { path: string; version: string } }[] = [];
  const settings = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const f = line.replace(/^\t/, '').split('\t');
    if (f[0] === 'mod') main = f[1] ?? '';
    if (f[0] === 'dep') deps.push({ path: f[1] ?? '', version: f[2] ?? '' });
    if (f[0] === '=>') {
      const last = deps[deps.length - 1];
      if (last) last.replace = { path: f[1] ?? '', version: f[2] ?? '' };
    }
    if (f[0] === 'build') {
      const kv = f.slice(1).join('\t');
      const eq = kv.indexOf('=');
      settings.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
  }
  return { goVersion, main, deps, settings };
}

describe('Go binaries built by the installed toolchain', () => {
  const variants = [
    'linux-amd64', 'linux-amd64-stripped', 'windows-amd64.exe', 'darwin-arm64', 'linux-386', 'linux-ppc64-be',
  ];
  for (const variant of variants) {
    test(`${variant}: build info equals \`go version -m\``, async (t) => {
      if (!requireOrSkip(t, HAVE_GO, 'go toolchain (golang-go)')) return;
      const builds = await goBuilds();
      const file = builds.binaries[variant];
      assert.ok(file);
      const bytes = readFileSync(file);
      const raw = readGoBuildInfo(bytes);
      assert.ok(raw, 'build info found');
      const tool = goVersionM(file, builds.env);
      // The tool prints "FILE: goVERSION" then every modinfo line indented by a tab.
      const rendered = `${file}: ${raw.goVersion}\n\t${raw.modinfo.slice(0, -1).replaceAll('\n', '\n\t')}\n`;
      assert.equal(rendered, tool);

      const expected = modulesFromTool(tool);
      const info = parseModinfo(raw.goVersion, raw.modinfo);
      assert.equal(info.goVersion, expected.goVersion);
      assert.equal(info.main?.path, expected.main);
      assert.deepEqual(
        info.deps.map((d) => ({ path: d.path, version: d.version, ...(d.replace ? { replace: { path: d.replace.path, version: d.replace.version } } : {}) })),
        expected.deps,
      );
      assert.deepEqual(new Map(info.settings.map((s) => [s.key, s.value.includes(' ') ? JSON.stringify(s.value) : s.value])), expected.settings);

      const pkgs = goBinaryPackages(info);
      const byName = new Map(pkgs.map((p) => [p.name, p]));
      assert.deepEqual(byName.get('stdlib'), {
        name: 'stdlib', version: expected.goVersion.slice(2), ecosystem: 'Go', type: 'go-stdlib',
        purl: `pkg:golang/stdlib@${expected.goVersion.slice(2)}`, metadata: { goVersion: expected.goVersion },
      });
      const dep = byName.get('example.com/dep');
      assert.equal(dep?.version, 'v1.4.0');
      assert.equal(dep?.purl, 'pkg:golang/example.com/dep@v1.4.0');
      assert.deepEqual(dep?.metadata?.replaces, { path: 'example.com/olddep', version: 'v1.0.0' });
      assert.equal(byName.has('example.com/olddep'), false, 'replaced module is reported as its replacement');
      const plain = byName.get('example.com/plain/v2');
      assert.equal(plain?.version, 'v2.0.1-rc.1');
      assert.equal(plain?.purl, 'pkg:golang/example.com/plain/v2@v2.0.1-rc.1');
      const local = byName.get('example.com/lib');
      assert.equal(local?.version, '', 'local directory replacement has no registry version');
      assert.deepEqual(local?.metadata?.replacement, { path: '../lib', local: true });
      const main = byName.get('example.com/app');
      assert.equal(main?.metadata?.GOOS, expected.settings.get('GOOS'));
      assert.equal(main?.metadata?.GOARCH, expected.settings.get('GOARCH'));
      assert.match(String(main?.metadata?.['vcs.revision']), /^[0-9a-f]{40}$/);
      if (variant === 'linux-amd64-stripped') assert.equal(main?.version, '3.4.5');
      else assert.equal(main?.version, '');
      assert.equal(pkgs.length, 5);
    });
  }

  test('executable formats are recognised with the right word size and byte order', async (t) => {
    if (!requireOrSkip(t, HAVE_GO, 'go toolchain (golang-go)')) return;
    const { binaries } = await goBuilds();
    const exe = (n: string) => parseExecutable(readFileSync(binaries[n] as string));
    assert.deepEqual([exe('linux-amd64').format, exe('linux-amd64').pointerSize, exe('linux-amd64').littleEndian], ['elf', 8, true]);
    assert.deepEqual([exe('linux-386').format, exe('linux-386').pointerSize], ['elf', 4]);
    assert.deepEqual([exe('linux-ppc64-be').littleEndian, exe('linux-ppc64-be').pointerSize], [false, 8]);
    assert.deepEqual([exe('windows-amd64.exe').format, exe('windows-amd64.exe').pointerSize], ['pe', 8]);
    assert.deepEqual([exe('darwin-arm64').format, exe('darwin-arm64').pointerSize], ['macho', 8]);
  });

  test('universal (fat) Mach-O: the build info of its first Go image; Java class files are not fat binaries', async (t) => {
    if (!requireOrSkip(t, HAVE_GO, 'go toolchain (golang-go)')) return;
    const { binaries } = await goBuilds();
    const thin = readFileSync(binaries['darwin-arm64'] as string);
    const align = 1 << 14;
    const first = align;
    const second = first + Math.ceil(thin.length / align) * align;
    const fat = Buffer.alloc(second + thin.length);
    fat.writeUInt32BE(0xcafebabe, 0);
    fat.writeUInt32BE(2, 4);
    for (const [i, [cpu, offset]] of [[0x01000007, first], [0x0100000c, second]].entries()) {
      const e = 8 + i * 20;
      fat.writeUInt32BE(cpu as number, e);
      fat.writeUInt32BE(offset as number, e + 8);
      fat.writeUInt32BE(thin.length, e + 12);
      fat.writeUInt32BE(14, e + 16);
    }
    thin.copy(fat, first);
    thin.copy(fat, second);
    const fromFat = await goBinaryAnalyzer.analyze({ path: 'bin/tool', content: fat, meta: meta('bin/tool', fat.length) });
    const fromThin = await goBinaryAnalyzer.analyze({ path: 'bin/tool', content: thin, meta: meta('bin/tool', thin.length) });
    assert.ok(fromThin && fromThin.length === 5);
    assert.deepEqual(fromFat, fromThin);
    const classFile = Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0x00, 0x00, 0x00, 0x34, ...new Array(120).fill(0)]);
    assert.equal(await goBinaryAnalyzer.analyze({ path: 'x/A.class', content: classFile, meta: meta('x/A.class', classFile.length) }), undefined);
  });

  test('analyzer: required by executable bit, analyze + finalize with locations', async (t) => {
    if (!requireOrSkip(t, HAVE_GO, 'go toolchain (golang-go)')) return;
    const { binaries } = await goBuilds();
    const bytes = readFileSync(binaries['linux-amd64'] as string);
    assert.equal(goBinaryAnalyzer.required('usr/local/bin/app', meta('usr/local/bin/app', bytes.length)), true);
    assert.equal(goBinaryAnalyzer.required('srv/app.exe', meta('srv/app.exe', bytes.length, 0o644)), true);
    assert.equal(goBinaryAnalyzer.required('etc/passwd', meta('etc/passwd', 900, 0o644)), false);
    const value = await goBinaryAnalyzer.analyze({ path: 'usr/local/bin/app', content: bytes, meta: meta('usr/local/bin/app', bytes.length) });
    assert.ok(value);
    const out = goBinaryAnalyzer.finalize([{ path: 'usr/local/bin/app', layerIndex: 2, layerDigest: 'sha256:bb', value }]);
    assert.equal(out.packages?.length, 5);
    for (const p of out.packages ?? []) assert.deepEqual(p.locations, [{ layer: 'sha256:bb', path: 'usr/local/bin/app' }]);
    // Non-Go executables and scripts are skipped without error.
    assert.equal(await goBinaryAnalyzer.analyze({ path: 'bin/sh', content: Buffer.from('#!/bin/sh\necho hi\n'), meta: meta('bin/sh', 18) }), undefined);
    assert.equal(await goBinaryAnalyzer.analyze({ path: 'bin/ls', content: readFileSync('/bin/ls'), meta: meta('bin/ls', 1) }), undefined);
  });
});

describe('build info helpers', () => {
  test('stdlib version drops the go prefix and experiment suffixes; dev toolchains give none', () => {
    assert.equal(stdlibVersion('go1.19.8'), '1.19.8');
    assert.equal(stdlibVersion('go1.22.0 X:boringcrypto'), '1.22.0');
    assert.equal(stdlibVersion('go1.21rc2'), '1.21rc2');
    assert.equal(stdlibVersion('devel go1.23-1a2b3c Tue'), undefined);
  });

  test('ldflags -X version stamps', () => {
    assert.equal(versionFromLdflags('-s -w -X main.version=1.2.3'), '1.2.3');
    assert.equal(versionFromLdflags("-X 'github.com/x/y/pkg/version.Version=v0.9.0-rc1'"), 'v0.9.0-rc1');
    assert.equal(versionFromLdflags('-X=main.ver=2.0.0'), '2.0.0');
    assert.equal(versionFromLdflags('-X main.commit=abc123'), undefined);
    assert.equal(versionFromLdflags('-X main.version=dev'), undefined);
  });

  test('module info with quoted build settings and a (devel) main module', () => {
    const info = parseModinfo('go1.20', 'path\tcmd/x\nmod\texample.com/x\t(devel)\t\nbuild\t-ldflags="-X main.version=1.0.0"\nbuild\t"a=b"=c\n');
    assert.deepEqual(info.settings, [{ key: '-ldflags', value: '-X main.version=1.0.0' }, { key: 'a=b', value: 'c' }]);
    const pkgs = goBinaryPackages(info);
    assert.equal(pkgs.find((p) => p.name === 'example.com/x')?.version, '1.0.0');
  });
});
