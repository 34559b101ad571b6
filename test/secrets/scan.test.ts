import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FileMeta } from '../../src/image/types.ts';
import {
  createSecretAnalyzer,
  defaultSecretRules,
  loadSecretConfig,
  parseGitleaksConfig,
  parseSecretConfigYaml,
  redactSecret,
  scanImageConfig,
  scanText,
  SecretConfigError,
  shannonEntropy,
} from '../../src/secrets/index.ts';
import { AWS_KEY_ID, AWS_SECRET, filler, GITHUB_PAT, NPM_TOKEN, pemKey, PG_URL, SLACK_WEBHOOK, STRIPE_KEY } from './fixtures.ts';

const rules = defaultSecretRules();
const ids = (text: string | Buffer, p = 'app/config.env'): string[] => scanText(text, p, rules).map((f) => f.rule_id).sort();

describe('built-in rules', () => {
  test('each required secret type is found with the right rule', () => {
    assert.deepEqual(ids(`AWS_ACCESS_KEY_ID=${AWS_KEY_ID}\naws_secret_access_key = ${AWS_SECRET}\n`), ['aws-access-key-id', 'aws-secret-access-key']);
    assert.deepEqual(ids(`token: ${GITHUB_PAT}`), ['github-pat']);
    assert.deepEqual(ids(`gitlab=glpat-${filler(20)}`), ['gitlab-pat']);
    assert.deepEqual(ids(`SLACK=${SLACK_WEBHOOK}`), ['slack-web-hook']);
    assert.deepEqual(ids(`bot xoxb-123456789012-1234567890123-${filler(24)}`), ['slack-access-token']);
    assert.deepEqual(ids(`stripe ${STRIPE_KEY}`), ['stripe-secret-token']);
    assert.deepEqual(ids(`twilio SK${'0123456789abcdef'.repeat(2)}`), ['twilio-api-key']);
    assert.deepEqual(ids(`SG.${filler(22)}.${filler(43, 1)}`), ['sendgrid-api-token']);
    assert.deepEqual(ids(`//registry.npmjs.org/:_authToken=${NPM_TOKEN}`, 'home/u/.npmrc'), ['npm-access-token', 'npmrc-auth-token']);
    assert.deepEqual(ids(`password = pypi-AgEIcHlwaS5vcmc${filler(60)}`, 'root/.pypirc'), ['pypi-upload-token']);
    assert.deepEqual(ids(`{"auths":{"r.example.org":{"auth":"dXNlcjpwYXNzd29yZA=="}}}`, 'root/.docker/config.json'), ['docker-config-auth']);
    assert.deepEqual(ids(`x=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.${filler(43)}`), ['jwt-token']);
    assert.deepEqual(ids(pemKey(), 'etc/ssl/private/server.key'), ['private-key']);
    assert.deepEqual(ids(pemKey('OPENSSH PRIVATE KEY'), 'root/.ssh/id_ed25519'), ['private-key']);
    assert.deepEqual(ids(`-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: x\n\n${filler(64)}\n-----END PGP PRIVATE KEY BLOCK-----`), ['pgp-private-key']);
    assert.deepEqual(ids(`DATABASE_URL=${PG_URL}`), ['database-url-password']);
    assert.deepEqual(ids(`{"type": "service_account", "project_id": "p", "private_key_id": "${'0123456789abcdef'.repeat(2)}01234567"}`, 'app/sa.json'), ['gcp-service-account']);
    assert.deepEqual(ids(`AccountKey=${filler(86)}==`), ['azure-storage-account-key']);
    assert.deepEqual(ids(`db_password = "Qz8${filler(13, 4)}"`), ['generic-secret-assignment']);
  });

  test('placeholders, low-entropy values and documentation keys are not findings', () => {
    assert.deepEqual(ids('password=${DB_PASSWORD}\nsecret: "changeme"\napi_key = <your-api-key>\npassword: xxxxxxxxxxxx\n'), []);
    assert.deepEqual(ids('DATABASE_URL=postgres://user:${PASSWORD}@db/app\nmysql://root:password@localhost/x'), []);
    assert.deepEqual(ids('AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE'), []);
    assert.deepEqual(ids('secret_key_base = aaaaaaaa1aaaaaaa'), [], 'entropy below threshold');
    assert.deepEqual(ids(`xghp_${filler(36)}`), [], 'a token glued to a word is not that token');
  });

  test('a specific rule hides the generic finding on the same line', () => {
    assert.deepEqual(ids(`github_secret=${GITHUB_PAT}`), ['github-pat']);
  });
});

describe('scanner', () => {
  test('findings carry line numbers and only a redacted prefix of the secret', () => {
    const text = `a\nb\nkey=${GITHUB_PAT}\n`;
    const [f] = scanText(text, 'x/y.txt', rules);
    assert.ok(f);
    assert.equal(f.line, 3);
    assert.equal(f.path, 'x/y.txt');
    assert.equal(f.match, 'ghp_*****');
    assert.ok(!JSON.stringify(f).includes(GITHUB_PAT.slice(4, 12)));
  });

  test('redaction keeps at most 4 chars and at most a quarter of short secrets', () => {
    assert.equal(redactSecret('abcdefghijklmnop'), 'abcd*****');
    assert.equal(redactSecret('abcdefg'), 'a*****');
    assert.equal(redactSecret('abc'), '*****');
  });

  test('identical findings (rule, line) are reported once', () => {
    const f = scanText(`${GITHUB_PAT} ${GITHUB_PAT}\n${GITHUB_PAT}`, 'a', rules);
    assert.deepEqual(f.map((x) => x.line), [1, 2]);
  });

  test('a secret on a line longer than 64 KiB and in a file over 1 MiB is still found, with the right line', () => {
    const long = `${'x'.repeat(200_000)} token=${GITHUB_PAT} ${'y'.repeat(100_000)}\n`;
    assert.deepEqual(scanText(long, 'min.js', rules).map((f) => [f.rule_id, f.line]), [['github-pat', 1]]);
    const lines = Array.from({ length: 40_000 }, (_, i) => `line ${i} ${'z'.repeat(40)}`);
    lines[30_000] = pemKey().trimEnd();
    const big = `${lines.join('\n')}\n`;
    assert.ok(big.length > 1024 * 1024);
    assert.deepEqual(scanText(big, 'big.txt', rules).map((f) => [f.rule_id, f.line]), [['private-key', 30_002]]);
  });

  test('Buffer input is read byte-for-byte (invalid UTF-8 around a secret does not hide it)', () => {
    const buf = Buffer.concat([Buffer.from([0xff, 0xfe, 0x80, 0x0a]), Buffer.from(`t=${GITHUB_PAT}`)]);
    assert.deepEqual(scanText(buf, 'b', rules).map((f) => f.line), [2]);
  });

  test('Shannon entropy', () => {
    assert.equal(shannonEntropy('aaaa'), 0);
    assert.equal(shannonEntropy('abcd'), 2);
    assert.equal(shannonEntropy(''), 0);
  });
});

describe('configuration', () => {
  test('YAML: custom rule, disabled built-in, global path and regex allow rules, disabled built-in allow rule', () => {
    const cfg = parseSecretConfigYaml(
      [
        'rules:',
        '  - id: internal-token',
        '    category: Internal',
        '    title: Internal service token',
        '    severity: high',
        '    keywords: [itk_]',
        '    regex: (?i)\\bitk_(?P<secret>[a-z0-9]{24})\\b',
        '    secret-group-name: secret',
        'disable-rules: [github-pat]',
        'allow-rules:',
        '  - id: fixtures',
        '    path: ^srv/fixtures/',
        '  - id: known-dummy',
        '    regex: itk_0{24}',
        'disable-allow-rules: [markdown]',
      ].join('\n'),
      'secret.yaml',
    );
    const scan = (text: string, p = 'srv/app.conf'): string[] => scanText(text, p, cfg).map((f) => `${f.rule_id}:${f.severity}`);
    assert.deepEqual(scan(`X=ITK_${'a1'.repeat(12)}`), ['internal-token:HIGH']);
    assert.deepEqual(scan(`X=itk_${'0'.repeat(24)}`), []);
    assert.deepEqual(scan(`X=itk_${'a1'.repeat(12)}`, 'srv/fixtures/a.conf'), []);
    assert.deepEqual(scan(`X=${GITHUB_PAT}`), []);
    assert.deepEqual(scan(`npm ${NPM_TOKEN}`, 'docs/README.md'), ['npm-access-token:CRITICAL']);
    assert.deepEqual(scanText(`npm ${NPM_TOKEN}`, 'docs/README.md', defaultSecretRules()), [], 'markdown skipped by default');
  });

  test('YAML errors name the file and the field', () => {
    assert.throws(() => parseSecretConfigYaml('rules:\n  - id: r\n', 'my.yaml'), (e: Error) => e instanceof SecretConfigError && /my\.yaml.*regex is required/.test(e.message));
    assert.throws(() => parseSecretConfigYaml('rules:\n  - id: r\n    regex: "(a"\n', 'my.yaml'), /my\.yaml: rules\[0\] \(r\)\.regex/);
    assert.throws(() => parseSecretConfigYaml('rules: [1', 'my.yaml'), /my\.yaml: invalid YAML/);
    assert.throws(() => parseSecretConfigYaml('rules:\n  - id: r\n    regex: "(?P<s>a)"\n    secret-group-name: x\n', 'y'), /no group named x/);
  });

  test('gitleaks TOML: keywords, secretGroup, entropy, per-rule and global allowlists (stopwords, regexTarget, AND)', () => {
    const cfg = parseGitleaksConfig(
      [
        '[[rules]]',
        'id = "acme-key"',
        'description = "Acme key"',
        "regex = '''(?i)acme[_-]?key\\s*=\\s*(?P<x>[a-z0-9]{16})'''",
        'secretGroup = 1',
        'entropy = 2.5',
        'keywords = ["acme"]',
        '[[rules.allowlists]]',
        'stopwords = ["dummy"]',
        '[[rules.allowlists]]',
        'condition = "AND"',
        "paths = ['''^ci/''']",
        "regexes = ['''^ci-line''']",
        'regexTarget = "line"',
        '[[rules]]',
        'id = "keystore-file"',
        'description = "Java keystore"',
        "path = '''\\.jks$'''",
        '[allowlist]',
        "regexes = ['''^0+1$''']",
      ].join('\n'),
      'rules.toml',
    );
    const scan = (text: string, p = 'app/x'): string[] => scanText(text, p, cfg).map((f) => `${f.rule_id}:${f.match}`);
    assert.deepEqual(scan('ACME_KEY = k3j5h6g7f8d9s0a1'), ['acme-key:k3j5*****']);
    assert.deepEqual(scan('acme_key = aaaaaaaaaaaaaaab'), [], 'entropy');
    assert.deepEqual(scan('acme_key = dummyk3j5h6g7f8d'), [], 'stopword');
    assert.deepEqual(scan('acme_key = 0000000000000001'), [], 'global allowlist');
    assert.deepEqual(scan('ci-line acme_key = k3j5h6g7f8d9s0a1', 'ci/env'), [], 'AND: path and line both match');
    assert.deepEqual(scan('ci-line acme_key = k3j5h6g7f8d9s0a1', 'app/env'), ['acme-key:k3j5*****'], 'AND: path differs');
    assert.deepEqual(scan('x', 'app/keystore.jks'), ['keystore-file:*****']);
    assert.equal(cfg.rules.length, 2, 'gitleaks rules replace the built-ins');
  });

  test('gitleaks leading [\\w.-]{0,50}? context is stripped for speed; match-target allowlists still see the widened match', () => {
    const cfg = parseGitleaksConfig(
      [
        '[[rules]]',
        'id = "ctx"',
        "regex = '''[\\w.-]{0,50}?(?i:[\\w.-]{0,50}?(?:token))\\s*=\\s*([a-z0-9]{12})'''",
        '[[rules.allowlists]]',
        'regexTarget = "match"',
        "regexes = ['''^public_token''']",
      ].join('\n'),
      'c.toml',
    );
    const rule = cfg.rules[0];
    assert.equal(rule?.contextPrefix, 100);
    assert.ok(!rule?.regex?.source.includes('{0,50}'));
    assert.deepEqual(scanText('my_token = k3j5h6g7f8d9', 'a', cfg).map((f) => f.line), [1]);
    assert.deepEqual(scanText('public_token = k3j5h6g7f8d9', 'a', cfg), [], 'allowlist sees the variable name before the keyword');
  });

  test('gitleaks [extend] useDefault keeps the built-ins; an untranslatable rule is skipped with a warning', () => {
    const cfg = parseGitleaksConfig("[extend]\nuseDefault = true\n[[rules]]\nid = 'bad'\nregex = '''\\pL+'''\n", 'x.toml');
    assert.ok(cfg.rules.some((r) => r.id === 'github-pat'));
    assert.ok(!cfg.rules.some((r) => r.id === 'bad'));
    assert.match(cfg.warnings[0] ?? '', /x\.toml: rule bad skipped: unicode classes/);
    assert.throws(() => parseGitleaksConfig('[[rules]\n', 'y.toml'), /y\.toml: invalid TOML/);
    assert.throws(() => parseGitleaksConfig('[[rules]]\nid = "a"\n', 'y.toml'), /needs regex or path/);
  });

  test('loadSecretConfig reads YAML and TOML by extension, and names a missing file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pw-secrets-'));
    try {
      await writeFile(path.join(dir, 's.yaml'), 'disable-rules: [github-pat]\n');
      await writeFile(path.join(dir, 'g.toml'), '[[rules]]\nid = "only"\nregex = \'\'\'only_[0-9]{8}\'\'\'\n');
      assert.ok(!(await loadSecretConfig({ configPath: path.join(dir, 's.yaml') })).rules.some((r) => r.id === 'github-pat'));
      assert.deepEqual((await loadSecretConfig({ configPath: path.join(dir, 'g.toml') })).rules.map((r) => r.id), ['only']);
      await assert.rejects(loadSecretConfig({ configPath: path.join(dir, 'none.yaml') }), /none\.yaml: cannot read/);
      assert.ok((await loadSecretConfig({})).rules.length >= 40);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('analyzer and image config', () => {
  const meta = (p: string, size: number): FileMeta => ({ path: p, type: 'file', size, mode: 0o644, layerIndex: 0, layerDigest: 'sha256:aa' });

  test('required: text files within the size limit, not binaries or allow-listed paths', () => {
    const a = createSecretAnalyzer(rules, { maxFileSize: 1000 });
    assert.equal(a.scope, 'all-layers');
    assert.equal(a.kind, 'secret');
    assert.ok(a.required('etc/app.conf', meta('etc/app.conf', 10)));
    assert.ok(!a.required('etc/app.conf', meta('etc/app.conf', 1001)));
    assert.ok(!a.required('usr/lib/x86_64-linux-gnu/libc.so.6', meta('usr/lib/x86_64-linux-gnu/libc.so.6', 10)));
    assert.ok(!a.required('usr/share/doc/x/README', meta('usr/share/doc/x/README', 10)));
    assert.ok(!a.required('etc', { ...meta('etc', 0), type: 'dir' }));
    const big = createSecretAnalyzer(rules);
    assert.ok(!big.required('usr/bin/tool', { ...meta('usr/bin/tool', 300 * 1024), mode: 0o755 }), 'large executables are programs');
    assert.ok(big.required('usr/local/bin/entry.sh', { ...meta('usr/local/bin/entry.sh', 2048), mode: 0o755 }), 'scripts are scanned');
    assert.ok(big.required('srv/data.txt', meta('srv/data.txt', 300 * 1024)));
    assert.ok(createSecretAnalyzer(rules, { scanBinaries: true }).required('app/blob.bin', meta('app/blob.bin', 10)));
  });

  test('content with NUL bytes is skipped unless scanBinaries', async () => {
    const content = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0]), Buffer.from(` ${GITHUB_PAT} `)]);
    const input = { path: 'app/tool', content, meta: meta('app/tool', content.length) };
    assert.equal(await createSecretAnalyzer(rules).analyze(input), undefined);
    assert.equal((await createSecretAnalyzer(rules, { scanBinaries: true }).analyze(input))?.[0]?.rule_id, 'github-pat');
  });

  test('finalize adds the layer digest and the deleted flag and de-duplicates', async () => {
    const a = createSecretAnalyzer(rules);
    const value = (await a.analyze({ path: 'app/.env', content: Buffer.from(`T=${GITHUB_PAT}`), meta: meta('app/.env', 10) })) ?? [];
    const out = a.finalize([
      { path: 'app/.env', layerIndex: 0, layerDigest: 'sha256:l0', value, deleted: true },
      { path: 'app/.env', layerIndex: 0, layerDigest: 'sha256:l0', value, deleted: true },
      { path: 'app/.env', layerIndex: 1, layerDigest: 'sha256:l1', value },
    ]);
    assert.deepEqual(out.secrets?.map((s) => [s.layer, s.deleted ?? false]), [['sha256:l0', true], ['sha256:l1', false]]);
  });

  test('scanImageConfig: ENV, labels and history (build args) with their pseudo-paths', () => {
    const found = scanImageConfig(
      {
        config: { Env: ['PATH=/usr/bin', `GITHUB_TOKEN=${GITHUB_PAT}`], Labels: { 'org.example.deploy': `stripe ${STRIPE_KEY}`, plain: 'x' } },
        history: [
          { created_by: '/bin/sh -c #(nop) ADD file:abc in /' },
          { created_by: `|1 NPM_TOKEN=${NPM_TOKEN} /bin/sh -c npm ci`, empty_layer: false },
          { created_by: `ARG DB=${PG_URL}`, empty_layer: true },
        ],
      },
      rules,
    );
    assert.deepEqual(
      found.map((f) => [f.path, f.rule_id, f.line]),
      [
        ['config:env', 'github-pat', 2],
        ['config:label:org.example.deploy', 'stripe-secret-token', undefined],
        ['config:history[1]', 'npm-access-token', undefined],
        ['config:history[2]', 'database-url-password', undefined],
      ],
    );
    assert.ok(found.every((f) => f.match.endsWith('*****') && f.match.length <= 9));
  });
});
