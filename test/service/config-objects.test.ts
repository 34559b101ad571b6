/**
 * Object store and advisory-index settings: `--object-store fs|s3|s3://…`, the `--s3-*` keys and
 * their validation, S3 credential resolution, the `--db` name with its deprecated `--db-path` /
 * PORTWARDEN_DB_PATH aliases, and docs/configuration.md's table being exactly what CONFIG_KEYS renders.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import fc from 'fast-check';
import { loadConfig } from '../../src/config/index.ts';
import type { LoadConfigInput } from '../../src/config/index.ts';
import { addStoreOptions, addWorkerOptions, configFromOptions } from '../../src/config/cli-options.ts';
import { normalizePrefix, objectStoreOptions, parseS3CredentialsFile, parseS3Url, resolveS3Credentials } from '../../src/config/object-store.ts';
import { CONFIGURATION_DOC, renderConfigTable, withCurrentTable } from '../../src/config/docs.ts';
import { objectUrl, usesPathStyle } from '../../src/store/s3-client.ts';
import { UserInputError } from '../../src/util/errors.ts';

function load(input: LoadConfigInput) {
  const warnings: string[] = [];
  const cfg = loadConfig({ env: {}, warn: (m) => warnings.push(m), ...input });
  return { cfg, warnings };
}

function rejects(input: LoadConfigInput, re: RegExp) {
  assert.throws(() => load(input), (e: unknown) => e instanceof UserInputError && re.test(e.message), String(re));
}

describe('object store settings', () => {
  test('default is the filesystem under $PORTWARDEN_HOME/objects', () => {
    const { cfg } = load({ env: { PORTWARDEN_HOME: '/srv/pw' } });
    assert.equal(cfg.objectStore, 'fs');
    assert.deepEqual(objectStoreOptions(cfg, {}), { kind: 'fs', dir: '/srv/pw/objects' });
  });

  test('s3 from flags, env and file, with precedence and the AWS_REGION fallback', () => {
    const { cfg } = load({
      flags: { objectStore: 's3', s3Bucket: 'pw-reports', s3Prefix: '/prod/eu/', s3ForcePathStyle: true, config: 'c.yaml' },
      env: { PORTWARDEN_S3_ENDPOINT: 'http://127.0.0.1:9000/', AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' },
      readFile: () => 's3Endpoint: http://ignored:1\ns3Region: ap-south-1\n',
    });
    // The file's region wins over the AWS_* fallbacks, which only apply when nothing names the region.
    assert.equal(cfg.s3Region, 'ap-south-1');
    assert.deepEqual([cfg.objectStore, cfg.s3Bucket, cfg.s3Prefix, cfg.s3Endpoint, cfg.s3ForcePathStyle], ['s3', 'pw-reports', 'prod/eu/', 'http://127.0.0.1:9000', true]);
    assert.equal(load({ flags: { objectStore: 's3://b-1' }, env: { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' } }).cfg.s3Region, 'eu-west-1');
    assert.equal(load({ flags: { objectStore: 's3://b-1' }, env: { AWS_DEFAULT_REGION: 'us-west-2' } }).cfg.s3Region, 'us-west-2');
    assert.equal(load({ flags: { objectStore: 's3://b-1' } }).cfg.s3Region, 'us-east-1');
  });

  test('s3://BUCKET/PREFIX sets bucket and prefix; conflicting explicit values are refused', () => {
    const { cfg } = load({ env: { PORTWARDEN_OBJECT_STORE: 's3://pw-reports/team/a' } });
    assert.deepEqual([cfg.objectStore, cfg.s3Bucket, cfg.s3Prefix], ['s3', 'pw-reports', 'team/a/']);
    assert.equal(load({ flags: { objectStore: 's3://pw-reports', s3Prefix: 'x' } }).cfg.s3Prefix, 'x/');
    rejects({ flags: { objectStore: 's3://pw-reports', s3Bucket: 'other' } }, /names bucket "pw-reports" but s3-bucket is "other"/);
    rejects({ flags: { objectStore: 's3://pw-reports/a', s3Prefix: 'b' } }, /prefix "a\/" but s3-prefix is "b"/);
  });

  test('bad values say what is wrong', () => {
    rejects({ flags: { objectStore: 'gcs' } }, /expected fs, s3 or s3:\/\/BUCKET/);
    rejects({ flags: { objectStore: 's3' } }, /needs a bucket: --s3-bucket/);
    rejects({ flags: { objectStore: 's3', s3Bucket: 'No_Such' } }, /"No_Such" is not a valid bucket name/);
    rejects({ flags: { objectStore: 's3://ab' } }, /"ab" is not a valid bucket name/);
    rejects({ flags: { objectStore: 's3://pw-reports', s3Endpoint: 'minio:9000' } }, /s3-endpoint: must start with http/);
    rejects({ flags: { objectStore: 's3://pw-reports', s3Endpoint: 'not a url' } }, /is not a URL/);
    rejects({ flags: { objectStore: 's3://pw-reports', s3Endpoint: 'https://AKIA:secret@s3.example' } }, /must not contain credentials/);
    rejects({ flags: { objectStore: 's3://pw-reports', s3Prefix: 'a/../b' } }, /invalid key prefix/);
    rejects({ flags: { objectStore: 's3://pw-reports', s3Region: 'eu west' } }, /not a region name/);
    rejects({ env: { PORTWARDEN_S3_FORCE_PATH_STYLE: 'sometimes' } }, /PORTWARDEN_S3_FORCE_PATH_STYLE/);
  });

  test('s3 settings with the filesystem store are ignored with a warning, not silently', () => {
    const { cfg, warnings } = load({ flags: { s3Bucket: 'pw-reports', s3Endpoint: 'http://x:1' } });
    assert.equal(cfg.objectStore, 'fs');
    assert.deepEqual(warnings, ['s3Endpoint, s3Bucket ignored: the object store is the filesystem (set --object-store s3 to use S3)']);
  });

  test('credentials: file, then PORTWARDEN_S3_*, then AWS_*; half a pair is an error naming the other half', () => {
    const files: Record<string, string> = { '/run/s3.yaml': 'accessKeyId: FILEKEY\nsecretAccessKey: file-secret\n' };
    const read = (f: string) => { const t = files[f]; if (t === undefined) throw new Error('ENOENT'); return t; };
    const env = { PORTWARDEN_S3_ACCESS_KEY_ID: 'PWKEY', PORTWARDEN_S3_SECRET_ACCESS_KEY: 'pw-secret', AWS_ACCESS_KEY_ID: 'AWSKEY', AWS_SECRET_ACCESS_KEY: 'aws-secret', AWS_SESSION_TOKEN: 'aws-token' };
    assert.deepEqual(resolveS3Credentials({ s3CredentialsFile: '/run/s3.yaml' }, env, read), { accessKeyId: 'FILEKEY', secretAccessKey: 'file-secret' });
    assert.deepEqual(resolveS3Credentials({}, env), { accessKeyId: 'PWKEY', secretAccessKey: 'pw-secret' });
    assert.deepEqual(resolveS3Credentials({}, { AWS_ACCESS_KEY_ID: 'AWSKEY', AWS_SECRET_ACCESS_KEY: 'aws-secret', AWS_SESSION_TOKEN: 'aws-token' }), { accessKeyId: 'AWSKEY', secretAccessKey: 'aws-secret', sessionToken: 'aws-token' });
    assert.throws(() => resolveS3Credentials({}, { AWS_ACCESS_KEY_ID: 'AWSKEY' }), /AWS_SECRET_ACCESS_KEY is not set but AWS_ACCESS_KEY_ID is/);
    assert.throws(() => resolveS3Credentials({}, {}), /needs credentials: --s3-credentials-file FILE, or PORTWARDEN_S3_ACCESS_KEY_ID/);
    assert.throws(() => resolveS3Credentials({ s3CredentialsFile: '/nope' }, {}, read), /S3 credentials file \/nope: cannot read/);
  });

  test('credentials file errors name the file and field, never a value', () => {
    const cases: Array<[string, RegExp]> = [
      ['accessKeyId: K\n', /secretAccessKey must be a non-empty string/],
      ['accessKeyId: K\nsecretAccessKey: hunter2-secret\nregion: x\n', /unknown field\(s\) region/],
      ['- hunter2-secret\n', /expected a mapping/],
      ['{"accessKeyId": "K", "secretAccessKey": "hunter2-secret", "sessionToken": 5}', /sessionToken must be a string/],
      ['accessKeyId: [hunter2-secret', /invalid JSON\/YAML/],
    ];
    for (const [text, re] of cases) {
      assert.throws(() => parseS3CredentialsFile(text, '/run/s3.yaml'), (e: unknown) => {
        const msg = (e as Error).message;
        return re.test(msg) && msg.includes('/run/s3.yaml') && !msg.includes('hunter2');
      }, String(re));
    }
  });

  test('objectStoreOptions: AWS endpoint by region, credentials resolved last', () => {
    const { cfg } = load({ flags: { objectStore: 's3://pw-reports/p', s3Region: 'cn-north-1' } });
    const opts = objectStoreOptions(cfg, { AWS_ACCESS_KEY_ID: 'K', AWS_SECRET_ACCESS_KEY: 'S' });
    assert.equal(opts.kind, 's3');
    if (opts.kind !== 's3') return;
    assert.equal(opts.endpoint, 'https://s3.cn-north-1.amazonaws.com.cn');
    assert.equal(opts.prefix, 'p/');
    assert.deepEqual(opts.credentials, { accessKeyId: 'K', secretAccessKey: 'S' });
    // ServiceConfig itself never holds credentials.
    assert.ok(!JSON.stringify(cfg).includes('"S"'));
  });

  test('parseS3Url and normalizePrefix (fuzzed): accepted values are canonical, everything else is a UserInputError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (text) => {
      try {
        const { bucket, prefix } = parseS3Url(`s3://${text}`);
        assert.match(bucket, /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/);
        assert.ok(prefix === '' || (prefix.endsWith('/') && !prefix.startsWith('/') && !prefix.includes('//')));
        assert.equal(normalizePrefix(prefix, 'x'), prefix);
      } catch (err) {
        if (!(err instanceof UserInputError)) throw err;
      }
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.stringMatching(/^[a-z0-9-]{3,20}$/), fc.array(fc.stringMatching(/^[A-Za-z0-9_.-]{1,8}$/), { maxLength: 4 }), (bucket, segs) => {
      fc.pre(/^[a-z0-9].*[a-z0-9]$/.test(bucket) && segs.every((s) => s !== '.' && s !== '..'));
      const parsed = parseS3Url(`s3://${bucket}/${segs.join('/')}`);
      assert.equal(parsed.bucket, bucket);
      assert.equal(parsed.prefix, segs.length ? `${segs.join('/')}/` : '');
    }), { numRuns: 500 });
  });
});

describe('S3 addressing', () => {
  const loc = { endpoint: 'https://s3.eu-west-1.amazonaws.com', region: 'eu-west-1', bucket: 'pw-reports', forcePathStyle: false };
  test('virtual-hosted by default, path-style when forced or when the host cannot carry the bucket', () => {
    assert.equal(objectUrl(loc, 'p/reports/a.json').toString(), 'https://pw-reports.s3.eu-west-1.amazonaws.com/p/reports/a.json');
    assert.equal(objectUrl({ ...loc, forcePathStyle: true }, 'p/reports/a.json').toString(), 'https://s3.eu-west-1.amazonaws.com/pw-reports/p/reports/a.json');
    assert.equal(usesPathStyle({ ...loc, endpoint: 'http://10.0.0.5:9000' }), true);
    assert.equal(usesPathStyle({ ...loc, endpoint: 'http://[::1]:9000' }), true);
    assert.equal(usesPathStyle({ ...loc, endpoint: 'http://localhost:9000' }), true);
    assert.equal(usesPathStyle({ ...loc, bucket: 'reports.example.com' }), true);
    assert.equal(usesPathStyle({ ...loc, endpoint: 'http://minio.internal:9000', bucket: 'reports.example.com' }), false);
  });
  test('a base path on the endpoint and reserved characters in keys', () => {
    const proxied = { ...loc, endpoint: 'https://gw.example.com/s3', forcePathStyle: true };
    assert.equal(objectUrl(proxied, 'a b/(x)*.json').toString(), 'https://gw.example.com/s3/pw-reports/a%20b/%28x%29%2A.json');
    assert.equal(objectUrl(proxied, '', { 'list-type': '2' }).toString(), 'https://gw.example.com/s3/pw-reports?list-type=2');
  });
});

describe('advisory index option: --db everywhere', () => {
  const command = () => addWorkerOptions(addStoreOptions(new Command('serve').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} })));
  const parse = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const cmd = command();
    cmd.parse(args, { from: 'user' });
    const warnings: string[] = [];
    const cfg = configFromOptions(cmd, cmd.opts(), {}, { env, warn: (m) => warnings.push(m) });
    return { cfg, warnings };
  };

  test('--db and PORTWARDEN_DB set it silently', () => {
    const viaFlag = parse(['--db', '/data/adv.db']);
    assert.equal(viaFlag.cfg.advisoryDbPath, '/data/adv.db');
    assert.deepEqual(viaFlag.warnings, []);
    const viaEnv = parse([], { PORTWARDEN_DB: '/env/adv.db' });
    assert.equal(viaEnv.cfg.advisoryDbPath, '/env/adv.db');
    assert.deepEqual(viaEnv.warnings, []);
  });

  test('deprecated --db-path and PORTWARDEN_DB_PATH still work, with a one-line warning', () => {
    const flag = parse(['--db-path', '/old/adv.db']);
    assert.equal(flag.cfg.advisoryDbPath, '/old/adv.db');
    assert.deepEqual(flag.warnings, ['--db-path is deprecated; use --db']);
    const both = parse(['--db-path', '/old/adv.db', '--db', '/new/adv.db']);
    assert.equal(both.cfg.advisoryDbPath, '/new/adv.db');
    assert.deepEqual(both.warnings, ['--db-path is deprecated and ignored because --db is given']);
    const env = parse([], { PORTWARDEN_DB_PATH: '/old-env/adv.db' });
    assert.equal(env.cfg.advisoryDbPath, '/old-env/adv.db');
    assert.deepEqual(env.warnings, ['PORTWARDEN_DB_PATH is deprecated; use PORTWARDEN_DB']);
    assert.equal(parse([], { PORTWARDEN_DB_PATH: '/old', PORTWARDEN_DB: '/new' }).cfg.advisoryDbPath, '/new');
  });

  test('help lists --db and hides --db-path', () => {
    const help = command().helpInformation();
    assert.match(help, /--db <file>/);
    assert.doesNotMatch(help, /--db-path/);
    assert.match(help, /--object-store <kind>/);
    assert.match(help, /--s3-force-path-style/);
  });
});

test('docs/configuration.md holds exactly the table CONFIG_KEYS renders', () => {
  const doc = readFileSync(CONFIGURATION_DOC, 'utf8');
  assert.equal(path.basename(CONFIGURATION_DOC), 'configuration.md');
  assert.ok(doc.includes(renderConfigTable()), 'table differs: run `node --import tsx src/config/docs.ts`');
  assert.equal(withCurrentTable(doc), doc);
});
