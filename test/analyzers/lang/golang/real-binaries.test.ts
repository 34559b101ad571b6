/**
 * Oracles on real executables: every file of /usr/bin (Go binaries from Debian and from other
 * toolchains, and every non-Go ELF) against `go version -m DIR`; and a pre-1.18 pointer-format
 * build info laid out by gcc the way old Go linkers did.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireOrSkip } from '../../../helpers/shared-data.ts';
import { HAVE_GO } from './build-fixtures.ts';
import { goBinaryPackages, parseModinfo, readGoBuildInfo } from '../../../../src/analyzers/lang/golang/index.ts';
import { detectExecutableFormat } from '../../../../src/analyzers/binary/exe.ts';

function render(file: string, goVersion: string, modinfo: string): string {
  return `${file}: ${goVersion}\n${modinfo ? `\t${modinfo.slice(0, -1).replaceAll('\n', '\n\t')}\n` : ''}`;
}

test('every executable in /usr/bin: Go detection and build info equal `go version -m /usr/bin`', (t) => {
  if (!requireOrSkip(t, HAVE_GO, 'go toolchain (golang-go)')) return;
  const dir = '/usr/bin';
  const ours = new Map<string, string>();
  for (const name of readdirSync(dir)) {
    const file = `${dir}/${name}`;
    let st;
    try { st = statSync(file); } catch { continue; }
    if (!st.isFile() || (st.mode & 0o111) === 0) continue;
    const head = Buffer.alloc(4);
    const fd = openSync(file, 'r');
    try { readSync(fd, head, 0, 4, 0); } finally { closeSync(fd); }
    if (!detectExecutableFormat(head)) continue;
    const raw = readGoBuildInfo(readFileSync(file));
    if (raw) ours.set(file, render(file, raw.goVersion, raw.modinfo));
  }
  const tool = new Map<string, string>();
  let current = '';
  for (const line of execFileSync('go', ['version', '-m', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\n')) {
    if (line === '') continue;
    if (!line.startsWith('\t')) { current = line.slice(0, line.indexOf(': ')); tool.set(current, ''); }
    tool.set(current, `${tool.get(current) ?? ''}${line}\n`);
  }
  assert.deepEqual([...ours.keys()].sort(), [...tool.keys()].sort());
  for (const [file, text] of tool) assert.equal(ours.get(file), text, file);
  t.diagnostic(`${tool.size} Go executables compared`);
});

test('pre-1.18 pointer-format build info (string headers reached through pointers)', (t) => {
  const haveCc = spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!requireOrSkip(t, haveCc, 'gcc')) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-oldgo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const modinfo = 'path\\texample.com/old\\nmod\\texample.com/old\\tv0.4.0\\th1:m=\\ndep\\tgithub.com/a/b\\tv1.0.0\\th1:x=\\ndep\\tgithub.com/c/d\\tv0.1.0\\n=>\\tgithub.com/c/d-fork\\tv0.1.1\\th1:y=\\n';
  writeFileSync(path.join(dir, 'old.c'), [
    '#include <stddef.h>',
    'struct gostr { const char *p; size_t n; };',
    'static const char vers[] = "go1.15.2";',
    // The linker wraps modinfo in two 16-byte sentinels.
    `static const char mod[] = "0123456789abcdef" "${modinfo}" "0123456789abcdef";`,
    'const struct gostr vs = { vers, sizeof(vers) - 1 };',
    'const struct gostr ms = { mod, sizeof(mod) - 1 };',
    'struct hdr { char magic[14]; char ptrsize; char flags; const struct gostr *v; const struct gostr *m; };',
    '__attribute__((section(".go.buildinfo"), aligned(16), used)) struct hdr buildinfo = { "\\xff Go buildinf:", sizeof(void *), 0, &vs, &ms };',
    'int main(void) { return 0; }',
  ].join('\n'));
  const bin = path.join(dir, 'old');
  execFileSync('gcc', ['-no-pie', '-o', bin, path.join(dir, 'old.c')]);
  const raw = readGoBuildInfo(readFileSync(bin));
  assert.ok(raw);
  assert.equal(raw.goVersion, 'go1.15.2');
  if (HAVE_GO && existsSync(bin)) {
    // Go 1.19's `go version -m` re-renders module info and writes an empty line after each `=>`
    // line; newer linkers embed that same text, this hand-made one does not.
    const tool = execFileSync('go', ['version', '-m', bin], { encoding: 'utf8' }).replaceAll('\n\t\n', '\n');
    assert.equal(render(bin, raw.goVersion, raw.modinfo), tool);
  }
  const pkgs = goBinaryPackages(parseModinfo(raw.goVersion, raw.modinfo));
  assert.deepEqual(pkgs.map((p) => `${p.name}@${p.version}`), ['stdlib@1.15.2', 'example.com/old@v0.4.0', 'github.com/a/b@v1.0.0', 'github.com/c/d-fork@v0.1.1']);
});
