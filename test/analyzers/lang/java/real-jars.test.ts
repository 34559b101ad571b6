/**
 * Oracle test on real Maven Central jars: a local Maven repository stores each jar at
 * <group path>/<artifact>/<version>/<artifact>-<version>.jar, which gives the true coordinates.
 * Host-specific data, so the test skips (also under CI) when there is no repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArchiveFileName, scanJavaArchive } from '../../../../src/analyzers/lang/java/index.ts';

const M2 = process.env.PORTWARDEN_M2_REPOSITORY ?? path.join(os.homedir(), '.m2', 'repository');

function* jars(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) yield* jars(p);
    else if (name.endsWith('.jar')) yield p;
  }
}

test('jars of a local Maven repository: pom.properties identities and file-name splits equal the repository coordinates', (t) => {
  if (!existsSync(M2)) { t.skip(`no Maven repository at ${M2}`); return; }
  let checked = 0;
  let byPom = 0;
  const wrong: string[] = [];
  const misSplit: string[] = [];
  const guessedBesideSelf: string[] = [];
  for (const file of jars(M2)) {
    const rel = path.relative(M2, file).split(path.sep);
    const base = rel.pop() as string;
    const version = rel.pop() as string;
    const artifactId = rel.pop() as string;
    const groupId = rel.join('.');
    // Classifier jars (-sources, -tests) and snapshots' timestamped names are not the main artifact.
    if (base !== `${artifactId}-${version}.jar`) continue;
    checked++;
    const split = parseArchiveFileName(base);
    if (split?.artifactId !== artifactId || split.version !== version) misSplit.push(`${base} -> ${split?.artifactId} ${split?.version}`);
    const { artifacts } = scanJavaArchive(readFileSync(file), base);
    const outer = artifacts.filter((a) => !a.archivePath.includes('!/'));
    const self = outer.find((a) => a.artifactId === artifactId);
    if (self?.source === 'pom.properties') {
      byPom++;
      if (self.groupId !== groupId || self.version !== version) wrong.push(`${groupId}:${artifactId}@${version} -> ${self.groupId}:${self.artifactId}@${self.version}`);
      // The archive's own pom.properties leaves no room for a manifest or file-name guess.
      const guesses = outer.filter((a) => a.source !== 'pom.properties');
      if (guesses.length > 0) guessedBesideSelf.push(`${base}: ${guesses.map((a) => `${a.groupId}:${a.artifactId}@${a.version}`).join(', ')}`);
    }
    if (self?.source === 'filename') assert.equal(self.version, version, file);
  }
  if (checked === 0) { t.skip('repository holds no jars'); return; }
  assert.deepEqual(wrong, []);
  assert.deepEqual(misSplit, []);
  assert.deepEqual(guessedBesideSelf, []);
  t.diagnostic(`${checked} jars, ${byPom} identified by pom.properties`);
});
