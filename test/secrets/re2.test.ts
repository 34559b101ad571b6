import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compileRe2, Re2TranslationError, translateRe2 } from '../../src/secrets/index.ts';

const matches = (pattern: string, input: string): boolean => compileRe2(pattern).regex.test(input);

describe('RE2 → JS translation', () => {
  test('a leading (?i) becomes the i flag', () => {
    const t = translateRe2('(?i)secret=([a-z]+)');
    assert.equal(t.flags, 'i');
    assert.equal(t.source, 'secret=([a-z]+)');
    assert.ok(matches('(?i)secret=([a-z]+)', 'SECRET=ABC'));
  });

  test('a mid-pattern (?i) applies to the rest of its group only', () => {
    const p = '\\b(LTAI(?i)[a-z0-9]{4})x';
    assert.ok(matches(p, 'LTAIAbC1x'));
    assert.ok(!matches(p, 'ltaiabc1x'), 'the prefix before (?i) stays case-sensitive');
    assert.ok(!matches(p, 'LTAIabc1X'), 'the (?i) ends with its group');
  });

  test('scoped (?i:...) case-expands literals and classes; (?-i:...) inside (?i) stays exact', () => {
    assert.ok(matches('a(?i:bc)d', 'aBCd'));
    assert.ok(!matches('a(?i:bc)d', 'aBCD'));
    const p = '(?i)key(?-i:[A-Z]{2})';
    assert.equal(translateRe2(p).flags, '', 'native i cannot be used with (?-i)');
    assert.ok(matches(p, 'KEYAB'));
    assert.ok(matches(p, 'keyAB'));
    assert.ok(!matches(p, 'keyab'));
  });

  test('named groups become numbered, duplicate names keep every index', () => {
    const t = translateRe2('(?P<user>[a-z]+):(?P<secret>\\d+)/(?<secret>\\d+)');
    assert.deepEqual(t.groupNames.get('user'), [1]);
    assert.deepEqual(t.groupNames.get('secret'), [2, 3]);
    const m = new RegExp(t.source, t.flags).exec('bob:12/34');
    assert.deepEqual([m?.[1], m?.[2], m?.[3]], ['bob', '12', '34']);
  });

  test('\\z, \\A, \\Q..\\E, \\x{..} and POSIX classes', () => {
    assert.ok(matches('abc\\z', 'xabc'));
    assert.ok(!matches('abc\\z', 'abc\n'));
    assert.ok(matches('\\Aab', 'ab'));
    assert.ok(!compileRe2('\\Aab', 'm').regex.test('x\nab'));
    assert.ok(matches('\\Qa.b*\\E', 'a.b*'));
    assert.ok(!matches('^\\Qa.b\\E$', 'axb'));
    assert.ok(matches('\\x{41}', 'A'));
    assert.ok(matches('^[[:alnum:]_]+$', 'ab_9Z'));
    assert.ok(!matches('^[[:alpha:]]+$', 'ab9'));
  });

  test('(?s) mid-pattern lets . cross lines; braces that are not quantifiers are literals', () => {
    assert.ok(matches('a(?s:.)b', 'a\nb'));
    assert.ok(!matches('a.b', 'a\nb'));
    assert.ok(matches('x{y}', 'x{y}'));
    assert.ok(matches('^a{2,3}$', 'aaa'));
  });

  test('unsupported constructs give a clear error', () => {
    assert.throws(() => translateRe2('(?U)a+'), Re2TranslationError);
    assert.throws(() => translateRe2('\\pL'), /unicode classes/);
    assert.throws(() => translateRe2('[a-'), /unterminated/);
    assert.throws(() => translateRe2('(a)\\1'), /backreferences/);
    assert.throws(() => translateRe2('[z-a]'), /reversed range/);
  });
});
