/**
 * Archives written by the JDK's own `jar` tool (streamed entries with data descriptors, directory
 * entries, its own MANIFEST.MF), including a war holding such a jar.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireOrSkip } from '../../../helpers/shared-data.ts';
import { scanJavaArchive } from '../../../../src/analyzers/lang/java/index.ts';

const HAVE_JAR = spawnSync('jar', ['--version'], { stdio: 'ignore' }).status === 0;

test('jar and war written by the JDK jar tool', (t) => {
  if (!requireOrSkip(t, HAVE_JAR, 'JDK jar tool')) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-jdkjar-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lib = path.join(dir, 'lib');
  mkdirSync(path.join(lib, 'META-INF/maven/org.example/widgets'), { recursive: true });
  mkdirSync(path.join(lib, 'org/example/widgets'), { recursive: true });
  writeFileSync(path.join(lib, 'META-INF/maven/org.example/widgets/pom.properties'), 'artifactId=widgets\ngroupId=org.example\nversion=2.3.1\n');
  writeFileSync(path.join(lib, 'org/example/widgets/Widget.class'), Buffer.alloc(4096, 7));
  writeFileSync(path.join(dir, 'manifest.txt'), 'Implementation-Vendor-Id: org.example\nImplementation-Version: 2.3.1\n');
  const jarFile = path.join(dir, 'widgets-2.3.1.jar');
  execFileSync('jar', ['--create', '--file', jarFile, '--manifest', path.join(dir, 'manifest.txt'), '-C', lib, '.']);
  assert.deepEqual(scanJavaArchive(readFileSync(jarFile), 'widgets-2.3.1.jar').artifacts, [
    { groupId: 'org.example', artifactId: 'widgets', version: '2.3.1', archivePath: 'widgets-2.3.1.jar', source: 'pom.properties' },
  ]);

  // Manifest-only jar from the same tool.
  const bare = path.join(dir, 'bare');
  mkdirSync(path.join(bare, 'x'), { recursive: true });
  writeFileSync(path.join(bare, 'x/A.class'), Buffer.alloc(100));
  const bareJar = path.join(dir, 'gizmo-0.9.jar');
  execFileSync('jar', ['--create', '--file', bareJar, '--manifest', path.join(dir, 'manifest.txt'), '-C', bare, '.']);
  assert.deepEqual(scanJavaArchive(readFileSync(bareJar), 'gizmo-0.9.jar').artifacts.map((a) => [a.groupId, a.artifactId, a.version, a.source]),
    [['org.example', 'gizmo', '2.3.1', 'manifest']]);

  const web = path.join(dir, 'web');
  mkdirSync(path.join(web, 'WEB-INF/lib'), { recursive: true });
  writeFileSync(path.join(web, 'WEB-INF/web.xml'), '<web-app/>');
  writeFileSync(path.join(web, 'WEB-INF/lib/widgets-2.3.1.jar'), readFileSync(jarFile));
  const warFile = path.join(dir, 'shop.war');
  execFileSync('jar', ['--create', '--file', warFile, '-C', web, '.']);
  assert.deepEqual(scanJavaArchive(readFileSync(warFile), 'shop.war').artifacts.map((a) => `${a.groupId}:${a.artifactId}@${a.version} ${a.archivePath}`),
    ['org.example:widgets@2.3.1 shop.war!/WEB-INF/lib/widgets-2.3.1.jar']);
});
