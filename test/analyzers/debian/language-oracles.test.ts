/**
 * Differential tests on a real Debian rootfs with Debian's own Python modules and Ruby gems
 * installed: what our Python and Ruby analyzers find must be what the interpreters themselves
 * list inside it (`importlib.metadata.distributions()` under python3, `gem list` under ruby),
 * and the full inventory must report each of them as part of the deb that installed it, except a
 * project pip installed and a gem `gem install` installed, which no deb owns.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { requireOrSkip } from '../../helpers/shared-data.ts';
import { DEBIAN_ROOTFS, LANGUAGE_ROOTFS_LOCAL_INSTALLS, debootstrapAvailable, ensureDebianLanguageRootfs } from '../../helpers/debian-rootfs.ts';
import { openSource } from '../../../src/image/open.ts';
import { walkImage } from '../../../src/image/walk.ts';
import { ALL_ANALYZERS } from '../../../src/analyzers/index.ts';
import { buildInventory, OS_OWNED_NOTE_PREFIX } from '../../../src/analyzers/inventory.ts';
import { normalizePythonName } from '../../../src/analyzers/lang/python/index.ts';
import type { AnalyzerOutput } from '../../../src/analyzers/types.ts';
import type { Package } from '../../../src/model/inventory.ts';

const available = (): boolean => existsSync(`${DEBIAN_ROOTFS}-langs.complete`) || debootstrapAvailable();

function inChroot(root: string, cmd: string[]): string {
  return execFileSync('chroot', [root, ...cmd], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', HOME: '/root' } });
}

const ids = (pkgs: { name: string; version: string }[]): string[] => [...new Set(pkgs.map((p) => `${p.name}@${p.version}`))].sort();

describe('Debian rootfs with python3 and ruby packages: analyzers against the interpreters', () => {
  let root = '';
  let outputs = new Map<string, AnalyzerOutput>();
  before(async () => {
    if (!available()) return;
    root = ensureDebianLanguageRootfs();
    const source = await openSource(`dir:${root}`);
    try {
      outputs = (await walkImage(source, { analyzers: ALL_ANALYZERS })).outputs;
    } finally {
      await source.close();
    }
  });

  const langPackages = (name: string): Package[] => outputs.get(name)?.packages ?? [];

  test('python: every distribution importlib.metadata lists, with its name and version, and nothing else', (t) => {
    if (!requireOrSkip(t, available(), 'debootstrap (root) or a cached rootfs')) return;
    const script = 'import importlib.metadata as m, json; print(json.dumps([[d.metadata["Name"], d.version] for d in m.distributions()]))';
    const oracle = (JSON.parse(inChroot(root, ['python3', '-c', script])) as [string, string][]).map(([name, version]) => ({ name, version }));
    const ours = langPackages('python');
    assert.ok(oracle.length >= 10, `python3 lists only ${oracle.length} distributions`);
    assert.deepEqual(ids(ours), ids(oracle));
    for (const p of ours) assert.equal(p.purl, `pkg:pypi/${normalizePythonName(p.name)}@${p.version}`);
  });

  test('ruby: every gem `gem list` shows (default and bundled gems included), and nothing else', (t) => {
    if (!requireOrSkip(t, available(), 'debootstrap (root) or a cached rootfs')) return;
    const oracle: { name: string; version: string }[] = [];
    for (const line of inChroot(root, ['gem', 'list', '--local']).split('\n')) {
      const m = /^(\S+) \((.+)\)$/.exec(line.trim());
      if (!m) continue;
      for (const v of m[2]!.split(', ')) oracle.push({ name: m[1]!, version: v.replace(/^default: /, '').split(' ')[0]! });
    }
    const ours = langPackages('ruby');
    assert.ok(oracle.length >= 20, `gem lists only ${oracle.length} gems`);
    assert.deepEqual(ids(ours), ids(oracle));
  });

  test('dpkg: every package\'s files equal `dpkg-query -L` (what folding language packages relies on)', (t) => {
    if (!requireOrSkip(t, available(), 'debootstrap (root) or a cached rootfs')) return;
    const debs = outputs.get('dpkg')?.packages ?? [];
    assert.ok(debs.length > 100, String(debs.length));
    const problems: string[] = [];
    for (const p of debs) {
      const query = p.arch && p.arch !== 'all' ? `${p.name}:${p.arch}` : p.name;
      const listed = execFileSync('dpkg-query', [`--admindir=${root}/var/lib/dpkg`, '-L', query], { encoding: 'utf8' });
      // `/.` is dpkg's entry for the root directory; diversion notes are not paths.
      const want = listed.split('\n').filter((l) => l.startsWith('/') && l !== '/.').map((l) => l.slice(1)).sort();
      const got = [...new Set(p.files ?? [])].map((f) => f.replace(/^\/+/, '')).sort();
      if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${query}: ${got.length} files, dpkg-query ${want.length}`);
    }
    assert.deepEqual(problems, []);
  });

  test('inventory: what debs installed is reported as part of them; what pip and gem installed stays, with its purl', (t) => {
    if (!requireOrSkip(t, available(), 'debootstrap (root) or a cached rootfs')) return;
    const inv = buildInventory(outputs.values());
    const { python, gem } = LANGUAGE_ROOTFS_LOCAL_INSTALLS;
    const kept = inv.packages.filter((p) => p.type === 'python' || p.type === 'gem').map((p) => `${p.name}@${p.version} ${p.purl} ${p.locations[0]?.path}`);
    assert.deepEqual(kept, [
      `${python.name}@${python.version} ${python.purl} usr/local/lib/python3.11/dist-packages/${python.dir}/METADATA`,
      `${gem.name}@${gem.version} ${gem.purl} var/lib/gems/3.1.0/specifications/${gem.name}-${gem.version}.gemspec`,
    ]);
    const note = inv.warnings.find((w) => w.startsWith(OS_OWNED_NOTE_PREFIX));
    assert.ok(note, 'no note about folded language packages');
    const folded = Number(/: (\d+) reported/.exec(note)?.[1]);
    assert.equal(folded, new Set([...langPackages('python'), ...langPackages('ruby')].map((p) => `${p.type}:${p.name}@${p.version}`)).size - kept.length);
  });
});
