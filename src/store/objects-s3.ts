/**
 * The object store on S3 or an S3-compatible server (MinIO, Ceph RGW, Garage, R2…). Integrity:
 * every upload carries Content-MD5 and a signed SHA-256 payload hash (the server refuses a body
 * that does not match), and the SHA-256 is also kept as object metadata so a download is checked
 * against what was written (one re-read, then a clear error). Loaded only when configured.
 */
import { createHash } from 'node:crypto';
import type { ObjectStore, S3ObjectStoreOptions } from './objects.ts';
import { assertObjectKey } from './objects.ts';
import { S3Client, S3Error, usesPathStyle } from './s3-client.ts';

/** User metadata holding the hex SHA-256 of the body as written. */
const SHA256_META = 'x-amz-meta-portwarden-sha256';

/** Read by the readiness probe; never written. */
const PROBE_KEY = '.portwarden-readiness-probe';

/** The readiness probe answers within seconds instead of retrying for long. */
const PROBE_RETRY = { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 500, timeoutMs: 5000 };

/** "No such key" (some servers answer a bare 404); "no such bucket" stays an error. */
function isMissingKey(status: number, code: string | undefined): boolean {
  return status === 404 && (code === 'NoSuchKey' || code === undefined);
}

export class S3ObjectStore implements ObjectStore {
  readonly client: S3Client;
  readonly prefix: string;

  constructor(opts: S3ObjectStoreOptions) {
    this.client = new S3Client(opts);
    this.prefix = opts.prefix;
  }

  private objectKey(key: string): string {
    assertObjectKey(key);
    return `${this.prefix}${key}`;
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const sha256 = createHash('sha256').update(buf).digest('hex');
    await this.client.send({
      operation: 'PutObject', method: 'PUT', key: this.objectKey(key), body: buf,
      headers: {
        'content-md5': createHash('md5').update(buf).digest('base64'),
        'content-type': key.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        'x-amz-content-sha256': sha256,
        [SHA256_META]: sha256,
      },
    });
  }

  async get(key: string): Promise<Buffer | undefined> {
    const res = await this.client.send({
      operation: 'GetObject', method: 'GET', key: this.objectKey(key),
      accept: isMissingKey,
      validate: (r) => {
        const expected = r.headers[SHA256_META];
        if (!expected) return;
        const actual = createHash('sha256').update(r.body).digest('hex');
        if (actual !== expected) {
          throw new S3Error('object_corrupt', `object ${this.client.where(this.objectKey(key))} read back with SHA-256 ${actual}, written as ${expected}`, { retryable: true });
        }
      },
    });
    return res.status === 404 ? undefined : res.body;
  }

  async delete(key: string): Promise<void> {
    await this.client.send({
      operation: 'DeleteObject', method: 'DELETE', key: this.objectKey(key),
      accept: (status, code) => status === 404 && code === 'NoSuchKey',
    });
  }

  /**
   * Reads a key that normally does not exist: "no such key" proves endpoint, credentials, bucket
   * and region in one cheap call, with the same permissions (s3:GetObject, and s3:ListBucket so
   * that a missing key reads as missing rather than denied) the store needs anyway.
   */
  async check(): Promise<void> {
    await this.client.send({
      operation: 'GetObject', method: 'GET', key: `${this.prefix}${PROBE_KEY}`,
      accept: isMissingKey,
      retry: PROBE_RETRY,
    });
  }

  describe(): string {
    const loc = this.client.location;
    return `S3 s3://${loc.bucket}/${this.prefix} at ${loc.endpoint} (region ${loc.region}, ${usesPathStyle(loc) ? 'path-style' : 'virtual-hosted'})`;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
