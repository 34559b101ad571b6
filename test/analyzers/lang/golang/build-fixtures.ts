/**
 * Builds real Go binaries with the installed toolchain, offline: dependencies come from a
 * file:// GOPROXY written here (module zips made with fflate), plus a local-directory replace.
 * Built once and shared by the test files of a run (each runs in its own process) through a temp
 * dir keyed by this file's content and the toolchain version, so a changed fixture rebuilds.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';

export const HAVE_GO = spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;

export interface GoBuilds {
  dir: string;
  binaries: Record<string, string>;
  env: NodeJS.ProcessEnv;
}

function writeProxyModule(proxy: string, modPath: string, version: string, files: Record<string, string>): void {
  const dir = path.join(proxy, modPath, '@v');
  mkdirSync(dir, { recursive: true });
  const entries: Record<string, Uint8Array> = {};
  for (const [name, text] of Object.entries(files)) entries[`${modPath}@${version}/${name}`] = strToU8(text);
  writeFileSync(path.join(dir, `${version}.zip`), zipSync(entries));
  writeFileSync(path.join(dir, `${version}.mod`), files['go.mod'] ?? `module ${modPath}\n`);
  writeFileSync(path.join(dir, `${version}.info`), JSON.stringify({ Version: version, Time: '2021-01-01T00:00:00Z' }));
  writeFileSync(path.join(dir, 'list'), `${version}\n`);
}

let cached: Promise<GoBuilds> | undefined;

export function goBuilds(): Promise<GoBuilds> {
  cached ??= Promise.resolve().then(build);
  return cached;
}

const VARIANTS = ['linux-amd64', 'linux-amd64-stripped', 'windows-amd64.exe', 'darwin-arm64', 'linux-386', 'linux-ppc64-be'];

function build(): GoBuilds {
  const key = createHash('sha256')
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .update(execFileSync('go', ['version'], { encoding: 'utf8' }))
    .digest('hex').slice(0, 16);
  const shared = path.join(os.tmpdir(), `pw-gobin-${key}`);
  if (existsSync(path.join(shared, 'complete'))) return describeBuild(shared);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-gobin-tmp-'));
  buildInto(dir);
  writeFileSync(path.join(dir, 'complete'), '');
  try {
    renameSync(dir, shared);
  } catch {
    // Another test process published the same build first; use its copy.
    rmSync(dir, { recursive: true, force: true });
  }
  return describeBuild(shared);
}

function describeBuild(dir: string): GoBuilds {
  const binaries: Record<string, string> = {};
  for (const name of VARIANTS) binaries[name] = path.join(dir, 'bin', name);
  return { dir, binaries, env: goEnv(dir) };
}

function goEnv(dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOPATH: path.join(dir, 'gopath'),
    GOCACHE: path.join(os.tmpdir(), 'pw-gocache'),
    GOPROXY: `file://${path.join(dir, 'proxy')}`,
    GOSUMDB: 'off',
    // A writable module cache lets the temp dir be removed by a non-root user.
    GOFLAGS: '-mod=mod -modcacherw',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
  };
}

function buildInto(dir: string): void {
  const proxy = path.join(dir, 'proxy');
  writeProxyModule(proxy, 'example.com/dep', 'v1.4.0', {
    'go.mod': 'module example.com/dep\n\ngo 1.16\n',
    'dep.go': 'package dep\n\nfunc Hello() string { return "dep" }\n',
  });
  writeProxyModule(proxy, 'example.com/plain/v2', 'v2.0.1-rc.1', {
    'go.mod': 'module example.com/plain/v2\n\ngo 1.16\n',
    'plain.go': 'package plain\n\nfunc Answer() int { return 42 }\n',
  });
  const lib = path.join(dir, 'src/lib');
  mkdirSync(lib, { recursive: true });
  writeFileSync(path.join(lib, 'go.mod'), 'module example.com/lib\n\ngo 1.19\n');
  writeFileSync(path.join(lib, 'lib.go'), 'package lib\n\nfunc Name() string { return "lib" }\n');
  const app = path.join(dir, 'src/app');
  mkdirSync(app, { recursive: true });
  writeFileSync(path.join(app, 'go.mod'), [
    'module example.com/app', '', 'go 1.19', '',
    'require (',
    '\texample.com/lib v1.2.3',
    '\texample.com/olddep v1.0.0',
    '\texample.com/plain/v2 v2.0.1-rc.1 // indirect',
    ')', '',
    'replace example.com/lib => ../lib', '',
    'replace example.com/olddep v1.0.0 => example.com/dep v1.4.0', '',
  ].join('\n'));
  writeFileSync(path.join(app, 'main.go'), [
    'package main', '',
    'import (', '\t"example.com/lib"', '\tdep "example.com/olddep"', '\t"example.com/plain/v2"', ')', '',
    'var version = "dev"', '',
    // println avoids fmt, which keeps cross-builds of the standard library short.
    'func main() { println(lib.Name(), dep.Hello(), plain.Answer(), version) }', '',
  ].join('\n'));
  const env = goEnv(dir);
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}): void => {
    execFileSync('go', args, { cwd: app, env: { ...env, ...extra }, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  run(['mod', 'tidy']);
  // A git checkout makes the toolchain stamp vcs.* build settings.
  const git = (args: string[]): void => {
    execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: app, stdio: 'ignore' });
  };
  git(['init', '-q', '.']);
  git(['add', '.']);
  git(['commit', '-qm', 'fixture']);
  const variants: [string, string[], NodeJS.ProcessEnv][] = [
    ['linux-amd64', [], {}],
    ['linux-amd64-stripped', ['-ldflags=-s -w -X main.version=3.4.5'], {}],
    ['windows-amd64.exe', [], { GOOS: 'windows', GOARCH: 'amd64' }],
    ['darwin-arm64', [], { GOOS: 'darwin', GOARCH: 'arm64' }],
    ['linux-386', [], { GOOS: 'linux', GOARCH: '386' }],
    ['linux-ppc64-be', [], { GOOS: 'linux', GOARCH: 'ppc64' }],
  ];
  for (const [name, flags, extra] of variants) {
    run(['build', '-o', path.join(dir, 'bin', name), ...flags, '.'], extra);
  }
}

/** What the real tool prints for a binary: `go version -m FILE`. */
export function goVersionM(file: string, env: NodeJS.ProcessEnv): string {
  return execFileSync('go', ['version', '-m', file], { env, encoding: 'utf8' });
}
