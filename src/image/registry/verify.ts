/** Content verification: every manifest and blob is checked against the digest it was asked by. */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { RegistryError } from './errors.ts';

export function digestAlgorithm(digest: string): 'sha256' | 'sha512' {
  const algorithm = digest.slice(0, digest.indexOf(':'));
  if (algorithm === 'sha256' || algorithm === 'sha512') return algorithm;
  throw new RegistryError('unsupported_digest', `cannot verify digest "${digest}": only sha256 and sha512 are supported`);
}

export function computeDigest(data: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Throws digest_mismatch unless `data` hashes to `expected`. */
export function verifyBytes(data: Uint8Array, expected: string, what: string): void {
  const actual = computeDigest(data, digestAlgorithm(expected));
  if (actual !== expected) {
    throw new RegistryError('digest_mismatch', `${what}: content does not match digest ${expected} (got ${actual})`);
  }
}

/**
 * A pass-through stream that hashes what flows and fails at the end when the digest or size differ
 * from the descriptor; it fails early when more bytes than `expectedSize` arrive, so a hostile
 * registry cannot stream forever.
 */
export function verifyingStream(expectedDigest: string, expectedSize: number | undefined, what: string): Transform {
  const hash = createHash(digestAlgorithm(expectedDigest));
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      seen += chunk.length;
      if (expectedSize !== undefined && seen > expectedSize) {
        cb(new RegistryError('size_mismatch', `${what} ${expectedDigest}: more than the ${expectedSize} bytes its descriptor declares`));
        return;
      }
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      if (expectedSize !== undefined && seen !== expectedSize) {
        cb(new RegistryError('size_mismatch', `${what} ${expectedDigest}: got ${seen} bytes, descriptor declares ${expectedSize}`));
        return;
      }
      const actual = `${digestAlgorithm(expectedDigest)}:${hash.digest('hex')}`;
      if (actual !== expectedDigest) {
        cb(new RegistryError('digest_mismatch', `${what}: content does not match digest ${expectedDigest} (got ${actual})`));
        return;
      }
      cb();
    },
  });
}
