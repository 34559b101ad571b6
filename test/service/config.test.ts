import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_KEYS, loadConfig, parseConfigFile, parseRegistryAuth } from '../../src/config/index.ts';
import { UserInputError } from '../../src/util/errors.ts';
import { REPO_ROOT } from '../helpers/shared-data.ts';

describe('service configuration', () => {
  test('defaults', () => {
    const c = loadConfig({ env: { PORTWARDEN_HOME: '/srv/pw' } });
    assert.equal(c.home, '/srv/pw');
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 8080);
    assert.equal(c.maxAttempts, 3);
    assert.equal(c.bodyLimitBytes, 65536);
    assert.equal(c.objectsDir, path.join('/srv/pw', 'objects'));
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.allowAnonymous, undefined);
  });

  test('precedence: flag > env > file > default', () => {
    const file = 'port: 9000\nconcurrency: 3\nallowRegistries: [a.example, b.example]\nhost: 0.0.0.0\n';
    const c = loadConfig({
      flags: { config: 'pw.yaml', port: '9200' },
      env: { PORTWARDEN_PORT: '9100', PORTWARDEN_CONCURRENCY: '5', DATABASE_URL: 'postgres://u@h/db' },
      readFile: (f) => { assert.equal(f, 'pw.yaml'); return file; },
    });
    assert.equal(c.port, 9200);
    assert.equal(c.concurrency, 5);
    assert.equal(c.host, '0.0.0.0');
    assert.deepEqual(c.allowRegistries, ['a.example', 'b.example']);
    assert.equal(c.databaseUrl, 'postgres://u@h/db');
    const viaEnvFile = loadConfig({ env: { PORTWARDEN_CONFIG: 'x.yaml', PORTWARDEN_ALLOW_REGISTRIES: 'c.example, d.example' }, readFile: () => file });
    assert.equal(viaEnvFile.port, 9000);
    assert.deepEqual(viaEnvFile.allowRegistries, ['c.example', 'd.example']);
  });

  test('bad values name the setting and where it came from', () => {
    const bad: Array<[Parameters<typeof loadConfig>[0], RegExp]> = [
      [{ env: { PORTWARDEN_PORT: 'eighty' } }, /PORTWARDEN_PORT.*port/],
      [{ flags: { port: '70000' } }, /port 70000/],
      [{ flags: { concurrency: '0' } }, /concurrency/],
      [{ env: { PORTWARDEN_ALLOW_ANONYMOUS: 'maybe' } }, /allowAnonymous/],
      [{ env: { DATABASE_URL: 'mysql://x' } }, /database-url/],
      [{ flags: { config: 'c.yaml' }, readFile: () => 'prot: 1\n' }, /c\.yaml.*unknown setting "prot"/],
      [{ flags: { config: 'c.yaml' }, readFile: () => ': : [' }, /c\.yaml.*invalid YAML/],
      [{ flags: { config: 'c.yaml' }, readFile: () => '- a\n' }, /c\.yaml.*mapping/],
      [{ flags: { config: 'missing.yaml' }, readFile: () => { throw new Error('ENOENT'); } }, /missing\.yaml.*cannot read/],
    ];
    for (const [input, re] of bad) assert.throws(() => loadConfig({ env: {}, ...input }), (e: unknown) => e instanceof UserInputError && re.test(e.message), String(re));
  });

  test('registry auth file: JSON or YAML, validated, hosts lowercased', () => {
    assert.deepEqual(parseRegistryAuth('{"Reg.Example:5000": {"username": "u", "password": "p"}}', 'a.json'), { 'reg.example:5000': { username: 'u', password: 'p' } });
    assert.deepEqual(parseRegistryAuth('ghcr.io:\n  username: u\n  password: p\n', 'a.yaml'), { 'ghcr.io': { username: 'u', password: 'p' } });
    assert.throws(() => parseRegistryAuth('{"h": {"username": "u"}}', 'a.json'), /a\.json.*"h"/);
    assert.throws(() => parseRegistryAuth('[1]', 'a.json'), /a\.json/);
  });

  test('parseConfigFile accepts an empty file', () => {
    assert.deepEqual(parseConfigFile('', 'e.yaml'), {});
  });

  test('docs/configuration.md lists every setting with its flag, env and key', () => {
    const doc = readFileSync(path.join(REPO_ROOT, 'docs/configuration.md'), 'utf8');
    for (const k of CONFIG_KEYS) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${k.flag}\``));
      assert.ok(row, `row for ${k.flag}`);
      assert.ok(row.includes(`\`${k.env}\``) && row.includes(`\`${k.key}\``), `row for ${k.flag} names ${k.env} and ${k.key}`);
    }
  });
});
