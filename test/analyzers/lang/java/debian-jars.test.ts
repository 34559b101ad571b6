/**
 * Debian's packaged Java libraries (bookworm, no JDK): a rootfs with a few lib*-java packages,
 * walked as a directory image with the java-archive analyzer alone. Two oracles that owe nothing
 * to our code: Python's zipfile lists each jar's entries and reads its pom.properties, and
 * Debian's /usr/share/maven-repo links `<group>/<artifact>/<version>/<artifact>-<version>.jar` to
 * the jar in /usr/share/java, which gives true Maven coordinates even for jars with no metadata.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { requireOrSkip } from '../../../helpers/shared-data.ts';
import { DEBIAN_ROOTFS, debootstrapAvailable, ensureDebianRootfsWith } from '../../../helpers/debian-rootfs.ts';
import { openSource } from '../../../../src/image/open.ts';
import { walkImage } from '../../../../src/image/walk.ts';
import { javaArchiveAnalyzer } from '../../../../src/analyzers/lang/java/index.ts';
import type { Analyzer } from '../../../../src/analyzers/types.ts';
import type { Package } from '../../../../src/model/inventory.ts';

// Jars with pom.properties (commons-lang3, log4j2, slf4j, guava, httpclient-osgi bundling six
// projects, the geronimo specs whose file names are not their artifact ids) and without any
// Maven metadata (asm, jna, hamcrest, mongodb, xerces, bcprov, commons-logging).
const PACKAGES = [
  'libgeronimo-annotation-1.3-spec-java', 'libgeronimo-interceptor-3.0-spec-java', 'libcommons-lang3-java', 'liblog4j2-java',
  'libslf4j-java', 'libguava-java', 'libjackson2-core-java', 'libcommons-io-java', 'libasm-java', 'libhamcrest-java',
  'libjsr305-java', 'libbcprov-java', 'libjna-java', 'libcommons-logging-java', 'libxerces2-java',
];
const NAME = 'java';
const available = (): boolean => existsSync(`${DEBIAN_ROOTFS}-${NAME}.complete`) || debootstrapAvailable();

interface JarFacts {
  /** Image path, without the leading slash. */
  path: string;
  /** groupId:artifactId@version of every META-INF/maven/** /pom.properties. */
  poms: string[];
  /** Whether anything lives under META-INF/maven/. */
  maven: boolean;
  /** groupId:artifactId@version of every /usr/share/maven-repo link to this jar. */
  repo: string[];
}

// Python's zipfile and os.path.realpath, not our zip reader, list the facts.
const ORACLE = String.raw`
import json, os, sys, zipfile
root = sys.argv[1]
repo = {}
base = os.path.join(root, 'usr/share/maven-repo')
for d, _, files in os.walk(base):
    for f in files:
        p = os.path.join(d, f)
        rel = os.path.relpath(p, base).split('/')
        if not f.endswith('.jar') or len(rel) < 4: continue
        version, artifact, group = rel[-2], rel[-3], '.'.join(rel[:-3])
        # Debian also links unversioned aliases ('debian', '2.x'), which are not Maven versions.
        if f != artifact + '-' + version + '.jar' or version == 'debian' or version.endswith('.x'): continue
        repo.setdefault(os.path.realpath(p), []).append(group + ':' + artifact + '@' + version)
out = []
for top in ('usr/share/java', 'usr/share/maven-repo'):
    for d, _, files in os.walk(os.path.join(root, top)):
        for f in files:
            p = os.path.join(d, f)
            if not f.endswith('.jar') or os.path.islink(p): continue
            z = zipfile.ZipFile(p)
            names = z.namelist()
            poms = []
            for n in names:
                parts = n.split('/')
                if len(parts) == 5 and parts[:2] == ['META-INF', 'maven'] and parts[4] == 'pom.properties':
                    kv = dict(l.split('=', 1) for l in z.read(n).decode().splitlines() if '=' in l and not l.startswith('#'))
                    poms.append(kv['groupId'] + ':' + kv['artifactId'] + '@' + kv['version'])
            out.append({'path': os.path.relpath(p, root), 'poms': sorted(poms), 'maven': any(n.startswith('META-INF/maven/') for n in names), 'repo': sorted(repo.get(p, []))})
print(json.dumps(out))
`;

const coordinates = (p: Package): string => `${String(p.metadata?.groupId)}:${String(p.metadata?.artifactId)}@${p.version}`;
const repoVersions = (repo: string[]): Set<string> => new Set(repo.map((r) => r.slice(r.lastIndexOf('@') + 1)));

describe('Debian bookworm lib*-java jars', () => {
  let jars: JarFacts[] = [];
  const byPath = new Map<string, Package[]>();
  before(async () => {
    if (!available()) return;
    const root = ensureDebianRootfsWith(NAME, PACKAGES);
    jars = JSON.parse(execFileSync('python3', ['-c', ORACLE, root], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as JarFacts[];
    const source = await openSource(`dir:${root}`);
    try {
      const { outputs } = await walkImage(source, { analyzers: [javaArchiveAnalyzer as Analyzer] });
      for (const p of outputs.get('java-archive')?.packages ?? []) {
        for (const loc of p.locations) byPath.set(loc.path, [...(byPath.get(loc.path) ?? []), p]);
      }
    } finally {
      await source.close();
    }
  });

  test('the rootfs holds both kinds of jar, and symlinked names are not read twice', (t) => {
    if (!requireOrSkip(t, available(), 'debootstrap (root) or a cached rootfs')) return;
    assert.ok(jars.filter((j) => j.poms.length > 0).length >= 30, 'jars with pom.properties');
    assert.ok(jars.filter((j) => !j.maven).length >= 15, 'jars without Maven metadata');
    // Every package is at a regular jar the oracle listed: /usr/share/java/guava-31.1-jre.jar and
    // the maven-repo links are symlinks to guava.jar and add nothing.
    const regular = new Set(jars.map((j) => j.path));
    assert.deepEqual([...byPath.keys()].filter((p) => !regular.has(p)), []);
  });

  test('a jar with pom.properties yields exactly those coordinates, and no guess from its file name or manifest', (t) => {
    if (!requireOrSkip(t, available(), 'debootstrap (root) or a cached rootfs')) return;
    const withPoms = jars.filter((j) => j.poms.length > 0);
    const differences: string[] = [];
    for (const jar of withPoms) {
      const ours = (byPath.get(jar.path) ?? []).map((p) => `${coordinates(p)} ${String(p.metadata?.identitySource)}${p.confidence ? ` ${p.confidence}` : ''}`).sort();
      const expected = jar.poms.map((c) => `${c} pom.properties`);
      if (JSON.stringify(ours) !== JSON.stringify(expected)) differences.push(`${jar.path}: ${ours.join(', ')} ≠ ${expected.join(', ')}`);
    }
    assert.deepEqual(differences, []);
    // The audit's cases, spelled out.
    const at = (p: string): string[] => (byPath.get(p) ?? []).map(coordinates).sort();
    assert.deepEqual(at('usr/share/java/geronimo-annotation-1.3-spec.jar'), ['org.apache.geronimo.specs:geronimo-annotation_1.3_spec@1.3']);
    assert.deepEqual(at('usr/share/java/geronimo-interceptor-3.0-spec.jar'), ['org.apache.geronimo.specs:geronimo-interceptor_3.0_spec@1.0.1']);
    assert.deepEqual(at('usr/share/java/log4j-1.2-api.jar'), ['org.apache.logging.log4j:log4j-1.2-api@2.19.0']);
    // And what they report is what Debian's maven-repo says the jar is.
    const disagree = withPoms.filter((j) => j.repo.length > 0 && !j.repo.some((r) => j.poms.includes(r))).map((j) => `${j.path}: ${j.poms.join(', ')} vs ${j.repo.join(', ')}`);
    assert.deepEqual(disagree, []);
  });

  test('a jar without Maven metadata gets one low-confidence guess when its name is <artifact>-<version>.jar', (t) => {
    if (!requireOrSkip(t, available(), 'debootstrap (root) or a cached rootfs')) return;
    const bare = jars.filter((j) => !j.maven);
    const wrong: string[] = [];
    let versionsRight = 0;
    for (const jar of bare) {
      const ours = byPath.get(jar.path) ?? [];
      const base = jar.path.slice(jar.path.lastIndexOf('/') + 1);
      // Debian's `jsr305-0.1~+svn49.jar` carries no Maven version; `xercesSamples.jar` none at all.
      const versioned = /^[A-Za-z][\w.-]*-\d[\w.+-]*\.jar$/.test(base);
      if (ours.length !== (versioned ? 1 : 0) || ours.some((p) => p.confidence !== 'low')) wrong.push(`${jar.path}: ${ours.map(coordinates).join(', ')}`);
      if (ours[0] && repoVersions(jar.repo).has(ours[0].version)) versionsRight++;
    }
    assert.deepEqual(wrong, []);
    // Guesses stay guesses (bcprov's manifest says 1.72.0, atinject's file name 1.0 for javax.inject 1), but most versions are right.
    t.diagnostic(`${bare.length} jars without Maven metadata, ${versionsRight} guessed versions equal Debian's maven-repo version`);
    assert.ok(versionsRight >= bare.length * 0.7, `${versionsRight} of ${bare.length}`);
  });
});
