/** Content-addressed blob checks: digest syntax, and a pass-through stream that verifies as it flows. */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { PortwardenError, UserInputError } from '../../util/errors.ts';

const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

export class DigestMismatchError extends PortwardenError {
  constructor(message: string) {
    super('digest_mismatch', message);
    this.name = 'DigestMismatchError';
  }
}

/** Splits `sha256:<hex>`; throws for anything else, so a digest can safely become a file name. */
export function splitDigest(digest: string, what = 'digest'): { algorithm: 'sha256' | 'sha512'; hex: string } {
  const m = /^(sha256|sha512):([0-9a-f]+)$/.exec(digest);
  if (!m || m[2]!.length !== HEX_LENGTH[m[1]!]) {
    throw new UserInputError(`invalid ${what} "${digest.slice(0, 150)}": expected sha256:<64 hex> or sha512:<128 hex>`, 'invalid_digest');
  }
  return { algorithm: m[1] as 'sha256' | 'sha512', hex: m[2] as string };
}

export function digestOf(data: Buffer, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Throws DigestMismatchError unless `data` hashes to `expected` (and has `size` bytes when given). */
export function verifyBuffer(data: Buffer, expected: string, what: string, size?: number): void {
  const { algorithm } = splitDigest(expected, `${what} digest`);
  if (size !== undefined && data.length !== size) {
    throw new DigestMismatchError(`${what} ${expected}: size ${data.length} does not match the descriptor's ${size}`);
  }
  const actual = digestOf(data, algorithm);
  if (actual !== expected) throw new DigestMismatchError(`${what} ${expected}: content digest is ${actual} (blob corrupt or tampered)`);
}

class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private bytes = 0;
  constructor(private readonly expected: string, private readonly what: string, private readonly size: number | undefined) {
    super({ highWaterMark: 1 << 20 });
    this.hash = createHash(splitDigest(expected, `${what} digest`).algorithm);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.size !== undefined && this.bytes > this.size) {
      done(new DigestMismatchError(`${this.what} ${this.expected}: more than the descriptor's ${this.size} bytes`));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    const actual = `${splitDigest(this.expected).algorithm}:${this.hash.digest('hex')}`;
    if (this.size !== undefined && this.bytes !== this.size) {
      done(new DigestMismatchError(`${this.what} ${this.expected}: ${this.bytes} bytes, descriptor says ${this.size} (truncated?)`));
    } else if (actual !== this.expected) {
      done(new DigestMismatchError(`${this.what} ${this.expected}: content digest is ${actual} (blob corrupt or tampered)`));
    } else {
      done();
    }
  }
}

/**
 * Passes `stream` through while hashing it; errors at the end if the digest or size differ.
 * Consumers must treat data as unverified until the stream ends cleanly.
 */
export function verifyStream(stream: Readable, expected: string, what: string, size?: number): Readable {
  const verifier = new VerifyingStream(expected, what, size);
  stream.on('error', (err) => verifier.destroy(err));
  return stream.pipe(verifier);
}
