import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatReference, parseImageReference, manifestReference } from '../../src/image/reference.ts';
import { UserInputError } from '../../src/util/errors.ts';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseImageReference', () => {
  const cases: [string, string, string][] = [
    ['nginx', 'docker.io/library/nginx:latest', 'registry-1.docker.io'],
    ['nginx:1.25', 'docker.io/library/nginx:1.25', 'registry-1.docker.io'],
    ['bitnami/redis', 'docker.io/bitnami/redis:latest', 'registry-1.docker.io'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest', 'registry-1.docker.io'],
    ['index.docker.io/library/nginx:1', 'docker.io/library/nginx:1', 'registry-1.docker.io'],
    ['ghcr.io/org/team/app:v1.2.3', 'ghcr.io/org/team/app:v1.2.3', 'ghcr.io'],
    ['localhost/app', 'localhost/app:latest', 'localhost'],
    ['localhost:5000/a/b@' + D, 'localhost:5000/a/b@' + D, 'localhost:5000'],
    ['127.0.0.1:5000/a:t@' + D, '127.0.0.1:5000/a:t@' + D, '127.0.0.1:5000'],
    ['[::1]:5000/a:t', '[::1]:5000/a:t', '[::1]:5000'],
    ['my-registry.example.com:443/x__y/z.w-v:Tag_1', 'my-registry.example.com:443/x__y/z.w-v:Tag_1', 'my-registry.example.com:443'],
    ['localhost:5000', 'docker.io/library/localhost:5000', 'registry-1.docker.io'],
  ];
  for (const [input, canonical, apiHost] of cases) {
    test(`${input} → ${canonical}`, () => {
      const ref = parseImageReference(input);
      assert.equal(formatReference(ref), canonical);
      assert.equal(ref.apiHost, apiHost);
    });
  }

  test('tag and digest together: both kept, digest is what gets pulled', () => {
    const ref = parseImageReference(`nginx:1.25@${D}`);
    assert.equal(ref.tag, '1.25');
    assert.equal(ref.digest, D);
    assert.equal(manifestReference(ref), D);
    const digestOnly = parseImageReference(`nginx@${D}`);
    assert.equal(digestOnly.tag, undefined);
    assert.equal(manifestReference(parseImageReference('nginx')), 'latest');
  });

  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['UPPER/case', /lower case/],
    ['Nginx', /lower case/],
    ['a//b', /empty path component/],
    ['a/', /empty path component/],
    [':tag', /missing repository/],
    ['nginx:', /empty tag/],
    ['nginx:-bad', /invalid tag/],
    [`nginx:${'t'.repeat(129)}`, /tag longer/],
    ['nginx@sha256:abc', /64 lower-case hex/],
    [`nginx@sha256:${'A'.repeat(64)}`, /lower-case hex/],
    [`nginx@md5:${'a'.repeat(32)}`, /unsupported digest algorithm/],
    ['nginx@', /digest/],
    ['foo bar', /whitespace/],
    ['https://ghcr.io/a/b', /URL scheme/],
    [`registry.io/${'a'.repeat(260)}`, /longer than 255/],
    ['x'.repeat(5000), /longer than 4096/],
    ['a..b', /invalid repository path component/],
    ['-a.io/x', /invalid registry host/],
    ['host:99999/x', /invalid port/],
    ['localhost:5000/', /missing repository name/],
  ];
  for (const [input, message] of bad) {
    test(`rejects ${JSON.stringify(input.slice(0, 40))}`, () => {
      assert.throws(() => parseImageReference(input), (err: unknown) => err instanceof UserInputError && message.test(err.message));
    });
  }

  test('fuzz: arbitrary strings only ever raise UserInputError', () => {
    const alphabet = fc.constantFrom(...'abcAZ09._-/:@[]%sha256 \t'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: alphabet, maxLength: 80 })), (s) => {
        try {
          parseImageReference(s);
        } catch (err) {
          if (!(err instanceof UserInputError)) throw err;
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('fuzz: canonical form round-trips', () => {
    const component = fc.stringMatching(/^[a-z0-9]{1,6}(?:[._-][a-z0-9]{1,6})?$/);
    const host = fc.oneof(fc.constant(''), fc.constantFrom('localhost', 'ghcr.io', 'localhost:5000', '10.0.0.1:443', 'docker.io', 'index.docker.io', '[::1]:5000'));
    const tag = fc.option(fc.stringMatching(/^\w[\w.-]{0,20}$/), { nil: undefined });
    const digest = fc.option(fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`), { nil: undefined });
    fc.assert(
      fc.property(host, fc.array(component, { minLength: 1, maxLength: 4 }), tag, digest, (h, path, t, d) => {
        const input = `${h ? `${h}/` : ''}${path.join('/')}${t ? `:${t}` : ''}${d ? `@${d}` : ''}`;
        const ref = parseImageReference(input);
        const again = parseImageReference(formatReference(ref));
        assert.deepEqual(again, ref);
        assert.equal(formatReference(again), formatReference(ref));
        if (d) assert.equal(ref.digest, d);
      }),
      { numRuns: 1000 },
    );
  });
});
