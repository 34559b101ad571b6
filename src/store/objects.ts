/**
 * Object storage for full reports and SBOMs: the interface, the filesystem implementation (the
 * default) and the factory. The filesystem implementation writes atomically (temp file + rename
 * in the same directory) so readers never see half a document; keys are validated so a key can
 * never name a path outside the root. The S3 implementation (objects-s3.ts) is imported only when
 * configured, so processes on the filesystem store never load it.
 */
import { constants } from 'node:fs';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PortwardenError } from '../util/errors.ts';
import type { S3ClientOptions } from './s3-client.ts';

export interface ObjectStore {
  put(key: string, body: Buffer | string): Promise<void>;
  /** undefined when the object does not exist. */
  get(key: string): Promise<Buffer | undefined>;
  delete(key: string): Promise<void>;
  /** Resolves when the store can be used (readiness and start-up); rejects with a message that says why not. */
  check(): Promise<void>;
  /** Where objects go, for logs: never includes credentials. */
  describe(): string;
  close(): Promise<void>;
}

export interface S3ObjectStoreOptions extends S3ClientOptions {
  /** Prepended to every key ('' or ending in '/'), so deployments can share a bucket. */
  prefix: string;
}

export type ObjectStoreOptions = { kind: 'fs'; dir: string } | ({ kind: 's3' } & S3ObjectStoreOptions);

export async function openObjectStore(opts: ObjectStoreOptions): Promise<ObjectStore> {
  if (opts.kind === 'fs') return new FsObjectStore(opts.dir);
  const { S3ObjectStore } = await import('./objects-s3.ts');
  return new S3ObjectStore(opts);
}

const KEY_RE = /^[a-z0-9][a-z0-9._-]{0,127}(\/[a-z0-9][a-z0-9._-]{0,127}){0,4}$/;

export function assertObjectKey(key: string): void {
  if (!KEY_RE.test(key) || key.split('/').some((s) => s === '.' || s === '..')) {
    throw new PortwardenError('bad_object_key', `invalid object key: ${JSON.stringify(key)}`);
  }
}

export class FsObjectStore implements ObjectStore {
  readonly root: string;
  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private file(key: string): string {
    assertObjectKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, body);
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.file(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  async check(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      await access(this.root, constants.W_OK);
    } catch (err) {
      throw new PortwardenError('objects_unwritable', `object store directory ${this.root} is not writable: ${(err as Error).message}`, { cause: err });
    }
  }

  describe(): string {
    return `filesystem ${this.root}`;
  }

  async close(): Promise<void> {}
}

/** Report of one scan, by scan id. */
export function reportKey(scanId: string): string {
  return `reports/${scanId}.json`;
}

/** SBOM (inventory) of an image, content-addressed by manifest digest and platform. */
export function sbomKey(digest: string, platform: string): string {
  const hex = digest.replace(/^sha256:/, '').toLowerCase();
  const plat = platform ? `-${platform.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}` : '';
  return `sboms/${hex}${plat}.json`;
}
