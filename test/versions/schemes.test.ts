/**
 * Per-scheme rules from each ecosystem's specification, for the schemes without a tool on this
 * machine (Go, NuGet, Pub, apk, CRAN, Hackage) and for the examples the scheme doc comments give,
 * plus the ecosystem → scheme map.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getScheme, KNOWN_ECOSYSTEMS, SCHEME_IDS, schemeForEcosystem } from '../../src/versions/index.ts';
import { isStrictApkVersion } from '../../src/versions/apk.ts';

/** Asserts that the versions are in strictly ascending order, every pair both ways. */
function ascending(id: string, versions: string[]): void {
  const scheme = getScheme(id);
  for (let i = 0; i < versions.length; i++) {
    for (let j = 0; j < versions.length; j++) {
      const a = versions[i] as string;
      const b = versions[j] as string;
      assert.equal(Math.sign(scheme.compare(a, b)), Math.sign(i - j), `${id}: ${a} vs ${b}`);
    }
  }
}

function equal(id: string, ...versions: string[]): void {
  const scheme = getScheme(id);
  for (const a of versions) for (const b of versions) assert.equal(scheme.compare(a, b), 0, `${id}: ${a} = ${b}`);
}

function invalid(id: string, ...versions: string[]): void {
  const scheme = getScheme(id);
  for (const v of versions) assert.equal(scheme.isValid(v), false, `${id}: ${JSON.stringify(v)} should be invalid`);
}

describe('schemeForEcosystem', () => {
  test('maps OSV ecosystem names case-insensitively on the part before the first colon', () => {
    const cases: Array<[string, string]> = [
      ['Debian:11', 'dpkg'],
      ['Ubuntu:22.04:LTS', 'dpkg'],
      ['Ubuntu:Pro:18.04:LTS', 'dpkg'],
      ['Alpine:v3.19', 'apk'],
      ['Wolfi', 'apk'],
      ['Chainguard', 'apk'],
      ['Red Hat:enterprise_linux:9::appstream', 'rpm'],
      ['Rocky Linux:9', 'rpm'],
      ['AlmaLinux:8', 'rpm'],
      ['openSUSE:Leap 15.5', 'rpm'],
      ['SUSE:Linux Enterprise Server 15 SP5', 'rpm'],
      ['Mariner', 'rpm'],
      ['Azure Linux:3', 'rpm'],
      ['Photon OS:5.0', 'rpm'],
      ['Amazon Linux:2023', 'rpm'],
      ['Fedora', 'rpm'],
      ['Oracle Linux', 'rpm'],
      ['CentOS', 'rpm'],
      ['openEuler:24.03-LTS', 'rpm'],
      ['npm', 'semver'],
      ['crates.io', 'semver'],
      ['Hex', 'semver'],
      ['SwiftURL', 'semver'],
      ['Bitnami', 'semver'],
      ['Pub', 'pub'],
      ['NuGet', 'nuget'],
      ['Go', 'go'],
      ['PyPI', 'pep440'],
      ['pypi', 'pep440'],
      ['Maven', 'maven'],
      ['RubyGems', 'rubygems'],
      ['Packagist', 'composer'],
      ['CRAN', 'cran'],
      ['Hackage', 'hackage'],
    ];
    for (const [ecosystem, id] of cases) {
      const { scheme, confidence } = schemeForEcosystem(ecosystem);
      assert.equal(scheme.id, id, ecosystem);
      assert.equal(confidence, 'high', ecosystem);
    }
  });

  test('unknown ecosystems fall back to generic with low confidence', () => {
    for (const e of ['', 'GIT', 'Linux', 'Something:Else']) {
      const { scheme, confidence } = schemeForEcosystem(e);
      assert.equal(scheme.id, 'generic');
      assert.equal(confidence, 'low');
    }
  });

  test('getScheme knows every id and rejects others; every mapped scheme is registered', () => {
    for (const id of SCHEME_IDS) assert.equal(getScheme(id).id, id);
    assert.throws(() => getScheme('nope'), /unknown version scheme/);
    for (const e of KNOWN_ECOSYSTEMS) assert.ok(SCHEME_IDS.includes(schemeForEcosystem(e).scheme.id));
  });
});

describe('dpkg (doc examples)', () => {
  test('ordering', () => {
    ascending('dpkg', ['', '~~', '~', '0', '1.0~~', '1.0~', '1.0~rc1', '1.0', '1.0-1', '1.0a', '1.0+b1', '1.9', '1.10', '9.9', '1:0.1']);
    equal('dpkg', '1.0-1', '1.0-01', '0:1.0-1');
    equal('dpkg', '1.0', '1.0-0', '0:1.0');
  });
  test('validity', () => {
    invalid('dpkg', ' ', '1:', ':1', 'a:1', '-1:1', '1.0-', '1 2', '99999999999:1');
    for (const v of ['a', '1_0', 'ä1', '+1:2', '1:2:3', '1-2-3']) assert.ok(getScheme('dpkg').isValid(v), v);
  });
});

describe('rpm (doc examples)', () => {
  test('ordering', () => {
    ascending('rpm', ['1.a', '1.0~rc1', '1.0', '1.0^git1', '1.0a', '1.0.1', '2']);
    ascending('rpm', ['1.A', '1.a']);
    ascending('rpm', ['1', '1-', '1-1', '1:0']);
    equal('rpm', '1.0', '1_0', '1..0');
    equal('rpm', '1-1.', '1-1');
    equal('rpm', 'a:1', 'a:1');
  });
});

describe('apk', () => {
  test('ordering (apk-tools semantics)', () => {
    ascending('apk', ['1.2_alpha', '1.2_beta2', '1.2_pre1', '1.2_rc1', '1.2', '1.2-r1', '1.2_cvs1', '1.2_svn1', '1.2_git1', '1.2_hg1', '1.2_p1', '1.2a', '1.2.1']);
    ascending('apk', ['1.001', '1.01', '1.1', '1.2']);
    ascending('apk', ['6.6.2_p2', '6.6.2p1', '6.6.2p2']);
    ascending('apk', ['1.0.0_pre20191002222144-r0', '1.0.0_pre20210530193627-r0']);
    equal('apk', '1.2-r1', '1.2-r01');
  });
  test('strings outside the grammar still compare, and sort below valid continuations', () => {
    ascending('apk', ['1.2.0', '1.2.0A', '1.2.0d']);
    ascending('apk', ['1-r-1', '1-r0']);
    assert.equal(isStrictApkVersion('1.2.3_rc1-r0'), true);
    assert.equal(isStrictApkVersion('1.2_blah'), false);
    assert.equal(isStrictApkVersion('a'), false);
    invalid('apk', '');
  });
});

describe('go (golang.org/x/mod/semver rules)', () => {
  test('pseudo-versions order as pre-releases; +incompatible is ignored', () => {
    ascending('go', [
      'v0.0.0-20191109021931-daa7c04131f5',
      'v0.0.0-20200101000000-abcdefabcdef',
      'v0.0.0',
      'v1.2.3',
      'v1.2.4-0.20191109021931-daa7c04131f5',
      'v1.2.4',
      'v2.0.0-rc.1',
      'v2.0.0',
    ]);
    equal('go', 'v2.0.0+incompatible', 'v2.0.0', '2.0.0');
    equal('go', 'v1', 'v1.0', 'v1.0.0', '1.0.0');
  });
  test('SemVer precedence of pre-release identifiers', () => {
    ascending('go', ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0']);
    ascending('go', ['1.0.0', '99999999999999999999.0.0', '100000000000000000000.0.0']);
  });
  test('validity', () => {
    invalid('go', 'v01.0.0', 'v1.02.0', 'v1.0.0-01', 'v1.2-pre', 'v1.0.0.0', '', 'v', 'V1.0.0', 'v1.0.0-', 'v1.0.0+');
  });
});

describe('nuget', () => {
  test('missing parts are 0; 4 parts; labels case-insensitive', () => {
    equal('nuget', '1.0', '1.0.0', '1.0.0.0', '1', '1.0.0+meta');
    equal('nuget', '1.0.01', '1.0.1.0');
    equal('nuget', '1.0.0-BETA', '1.0.0-beta');
    ascending('nuget', ['1.0.0-alpha', '1.0.0-alpha.2', '1.0.0-alpha.10', '1.0.0-Beta', '1.0.0-beta2', '1.0.0', '1.0.0.1-alpha', '1.0.0.1', '1.1']);
  });
  test('validity', () => {
    invalid('nuget', '1.2.3.4.5', '2147483648.0.0', 'v1.0.0', '', '1.0-', '1..0', '1.0.0-beta..1', '1.0.0-beta.01');
    // Beyond Int32 a digit label is text, and digits sort before letters in ordinal order.
    ascending('nuget', ['1.0.0-2147483647', '1.0.0-99999999999', '1.0.0-alpha']);
  });
});

describe('pub', () => {
  test('build metadata counts and sorts after no build', () => {
    ascending('pub', ['1.0.0-pre', '1.0.0-pre+build', '1.0.0', '1.0.0+build', '1.0.1']);
    ascending('pub', ['1.2.3+1', '1.2.3+2', '1.2.3+10', '1.2.3+a']);
    equal('pub', '1.2.3+01', '1.2.3+1', 'v1.2.3+1');
    equal('pub', '1.0.0-0x1f', '1.0.0-31');
  });
  test('validity', () => {
    invalid('pub', '1.0', '1.0.0.0', '1.0.0-', '99999999999999999999.0.0');
  });
});

describe('cran and hackage', () => {
  test('numbers compare numerically; more parts is newer', () => {
    ascending('cran', ['0.01', '0.1-0', '0.9', '0.75', '1.0', '1.0.0', '1.0-1', '1.0.2']);
    equal('cran', '0.01.0', '0.1-0');
    ascending('hackage', ['0', '0.11.3.0', '1.0', '1.0.0', '1.0.0.1', '1.0.1.0']);
    invalid('cran', '1.a', '', '1..0');
    invalid('hackage', '1-0', '', 'v1');
  });
});

describe('generic', () => {
  test('documented examples', () => {
    ascending('generic', ['1.0-rc1', '1.0', '1.0.1', '1.9', '1.10', '2.0beta', '2.0']);
    ascending('generic', ['1.a', '1.0']);
    equal('generic', '1.0', '1.0.0', 'v1.0', '1.0+build', '1');
    invalid('generic', '', '  ');
  });
});

describe('composer', () => {
  test('PHP version_compare special forms', () => {
    ascending('composer', ['1.0-dev', '1.0-alpha', '1.0-beta', '1.0-RC1', '1.0', '1.0-pl1']);
    ascending('composer', ['1.0rc1', '1.0.0', '1.0pl1']);
    ascending('composer', ['1.0', '1.0.0']);
    equal('composer', 'v1.0.0', '1.0.0', 'V1.0.0');
    equal('composer', '1.0-patch1', '1.0-p1', '1.0-pl1');
  });
});

describe('pep440 (doc examples)', () => {
  test('normalisation and ordering', () => {
    equal('pep440', '1.0rc1', '1.0-rc1', 'v1.0.RC1', '1.0c1', '1.0_rc_1', ' 1.0rc1 ');
    equal('pep440', '1.0.post0', '1.0.post', '1.0-0', '1.0r', '1.0-rev0');
    equal('pep440', '1.0a', '1.0a0', '1.0alpha');
    ascending('pep440', ['1.0.dev1', '1.0a1.dev1', '1.0a1', '1.0b1', '1.0rc1', '1.0', '1.0+abc', '1.0+abd', '1.0+1', '1.0.post1.dev1', '1.0.post1', '1.1', '1!0.1']);
    ascending('pep440', ['1.0+a', '1.0+a.1']);
    invalid('pep440', 'foo', '1.0-bulbasaur', '', '1..0', '1.0+', '1.0+a..b');
  });
});

describe('rubygems (doc examples)', () => {
  test('ordering', () => {
    ascending('rubygems', ['1.0.a', '1.0.b1', '1.0', '1.0.0.1', '3.2', '3.10']);
    equal('rubygems', '1.0', '1', '1.0.0');
    equal('rubygems', '', '0', ' 0.0 ');
    equal('rubygems', '1.0.a2', '1.0.a.2');
    equal('rubygems', '1.0.0-rc1', '1.0.0.pre.rc1');
    ascending('rubygems', ['1.B', '1.a']);
  });
});

describe('maven (doc examples)', () => {
  test('qualifier order and aliases', () => {
    ascending('maven', ['1-alpha', '1-beta', '1-milestone', '1-rc', '1-snapshot', '1', '1-sp', '1-abc', '1.1']);
    equal('maven', '1', '1.0', '1.0.0', '1-ga', '1.0-final', '1-release', '1.0.0.RELEASE');
    equal('maven', '1a1', '1-alpha-1');
    equal('maven', '1-cr1', '1-rc1', '1RC1');
    ascending('maven', ['1-sp', '1-1', '1.1']);
  });
});
