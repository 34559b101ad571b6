import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TargetGuard, isNonPublicAddress, parseRegistryTarget, validatePlatform } from '../../src/service/target-guard.ts';
import { UserInputError } from '../../src/util/errors.ts';

function guard(allow: string[] = [], answers: Record<string, string[]> = {}) {
  const asked: string[] = [];
  const g = new TargetGuard({
    allowRegistries: allow,
    resolver: async (h) => {
      asked.push(h);
      const a = answers[h];
      if (!a) throw Object.assign(new Error('no such host'), { code: 'ENOTFOUND' });
      return a;
    },
  });
  return { g, asked };
}

describe('target guard (SSRF)', () => {
  test('refuses private, loopback, link-local and metadata addresses without resolving anything', async () => {
    const { g, asked } = guard();
    for (const t of ['169.254.169.254/x', '10.0.0.1/x', '127.0.0.1:5000/a', '192.168.1.1/x:1', '172.16.5.4/a', '[::1]:5000/a', '[fd00::1]/a', '[fe80::1]/a', '[::ffff:127.0.0.1]/a', '0.0.0.0/a', '100.64.0.1/a', 'localhost:5000/a', 'localhost/a']) {
      const v = await g.check(t);
      assert.equal(v.ok, false, t);
    }
    assert.deepEqual(asked, []);
  });

  test('judges numeric host spellings by the address they reach', async () => {
    const { g } = guard();
    // 2130706433 and 0x7f.1 are 127.0.0.1 to a WHATWG URL parser (what undici uses).
    for (const t of ['2130706433.x:5000/a', '0x7f.1:5000/a']) {
      const v = await g.check(t).catch((e: unknown) => e);
      assert.ok(v instanceof UserInputError || (v as { ok: unknown }).ok !== true, t);
    }
  });

  test('checks every resolved address', async () => {
    const { g } = guard([], { 'reg.example.com': ['93.184.216.34', '10.1.2.3'], 'ok.example.com': ['93.184.216.34', '2606:2800:220:1::1'] });
    const bad = await g.check('reg.example.com/team/app:1');
    assert.equal(bad.ok, false);
    assert.match((bad as { reason: string }).reason, /10\.1\.2\.3/);
    assert.equal((await g.check('ok.example.com/team/app:1')).ok, true);
  });

  test('Docker Hub references check the API host; unresolvable hosts are reported, not refused', async () => {
    const { g, asked } = guard();
    const v = await g.check('nginx:latest');
    assert.equal(v.ok, 'unresolved');
    assert.deepEqual(asked, ['registry-1.docker.io']);
  });

  test('an allow-list admits listed registries (even private) and refuses the rest', async () => {
    const { g, asked } = guard(['127.0.0.1:5000']);
    assert.equal((await g.check('127.0.0.1:5000/app:1')).ok, true);
    assert.equal((await g.check('127.0.0.1:5001/app:1')).ok, false);
    assert.equal((await g.check('nginx')).ok, false);
    assert.deepEqual(asked, []);
  });

  test('malformed references and non-registry transports are input errors', () => {
    for (const t of ['', 'UPPER/case', 'a//b', 'https://x.io/a', 'oci:/tmp/layout', 'dir:/etc', 'docker-archive:/x.tar', 'a:b:c', 'x'.repeat(600), 'nginx@sha256:zz']) {
      assert.throws(() => parseRegistryTarget(t), UserInputError, t);
    }
    assert.deepEqual(parseRegistryTarget('localhost:5000/a/b:1'), { registry: 'localhost:5000', hostname: 'localhost', repository: 'a/b', tag: '1' });
  });

  test('address classification', () => {
    for (const a of ['169.254.169.254', '10.0.0.1', '127.0.0.1', '::1', 'fd00::1', 'fc12::1', 'fe80::1', '::ffff:10.0.0.1', '::ffff:a00:1', '64:ff9b::a00:1', 'ff02::1', 'not-an-ip']) assert.equal(isNonPublicAddress(a), true, a);
    for (const a of ['8.8.8.8', '93.184.216.34', '2606:4700::1111', '::ffff:8.8.8.8']) assert.equal(isNonPublicAddress(a), false, a);
  });

  test('platform validation', () => {
    validatePlatform('linux/amd64');
    validatePlatform('linux/arm64/v8');
    for (const p of ['linux', 'linux/amd64/v8/x', 'Linux/AMD64', '../..', 'linux/amd64 ']) assert.throws(() => validatePlatform(p), UserInputError, p);
  });

  test('fuzz: never throws anything but UserInputError, never admits a private literal', async () => {
    const { g } = guard();
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 80 }), async (s) => {
      try {
        const v = await g.check(s);
        assert.ok(v.ok === true || v.ok === false || v.ok === 'unresolved');
      } catch (err) {
        assert.ok(err instanceof UserInputError, String(err));
      }
    }), { numRuns: 400 });
    await fc.assert(fc.asyncProperty(fc.tuple(fc.constantFrom(10, 127), fc.nat(255), fc.nat(255), fc.nat(255)), async ([a, b, c, d]) => {
      const v = await g.check(`${a}.${b}.${c}.${d}:5000/x`);
      assert.equal(v.ok, false);
    }), { numRuns: 100 });
  });
});
