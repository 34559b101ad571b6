import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatPlatform, parsePlatform, selectManifest } from '../../src/image/platform.ts';
import { UserInputError } from '../../src/util/errors.ts';

const entry = (digest: string, os: string, architecture: string, variant?: string) => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest,
  size: 1,
  platform: variant ? { os, architecture, variant } : { os, architecture },
});

describe('platform', () => {
  test('parses and formats with normalisation', () => {
    assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64' });
    assert.deepEqual(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v7' });
    assert.deepEqual(parsePlatform('linux/x86_64'), { os: 'linux', architecture: 'amd64' });
    assert.equal(formatPlatform(parsePlatform('Linux/ARM/6')), 'linux/arm/v6');
    assert.throws(() => parsePlatform('linux//amd64'), UserInputError);
    assert.throws(() => parsePlatform('a/b/c/d'), UserInputError);
  });

  const index = {
    manifests: [
      entry('sha256:arm7', 'linux', 'arm', 'v7'),
      entry('sha256:arm6', 'linux', 'arm', 'v6'),
      entry('sha256:arm64', 'linux', 'arm64', 'v8'),
      entry('sha256:amd', 'linux', 'amd64'),
      { ...entry('sha256:att', 'unknown', 'unknown'), annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
    ],
  };

  test('selects the requested platform, default linux/amd64', () => {
    assert.equal(selectManifest(index).descriptor.digest, 'sha256:amd');
    assert.equal(selectManifest(index, parsePlatform('linux/arm64')).descriptor.digest, 'sha256:arm64');
    assert.equal(selectManifest(index, parsePlatform('linux/arm64/v8')).descriptor.digest, 'sha256:arm64');
    assert.equal(selectManifest(index, parsePlatform('linux/arm')).descriptor.digest, 'sha256:arm7');
    assert.equal(selectManifest(index, parsePlatform('linux/arm/v6')).descriptor.digest, 'sha256:arm6');
  });

  test('missing platform lists what is available; a single image is taken by default', () => {
    assert.throws(() => selectManifest(index, parsePlatform('linux/s390x')), /available: linux\/arm\/v7, linux\/arm\/v6, linux\/arm64, linux\/amd64/);
    const single = { manifests: [entry('sha256:only', 'linux', 'arm64')] };
    const picked = selectManifest(single);
    assert.equal(picked.descriptor.digest, 'sha256:only');
    assert.match(picked.reason, /only image/);
    assert.throws(() => selectManifest({}), UserInputError);
  });
});
