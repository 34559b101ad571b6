/**
 * Object store settings: `--object-store fs|s3|s3://BUCKET[/PREFIX]` and the `--s3-*` keys,
 * normalised and validated once, and S3 credentials resolved from a credentials file or the
 * environment. Credentials never enter ServiceConfig (which is logged and passed around): they go
 * straight into the store's options.
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type { ObjectStoreOptions } from '../store/objects.ts';
import type { S3Credentials } from '../store/s3-client.ts';
import { UserInputError, errorMessage } from '../util/errors.ts';

export interface ObjectStoreSettings {
  objectStore: 'fs' | 's3';
  objectsDir: string;
  s3Endpoint?: string;
  s3Region: string;
  s3Bucket?: string;
  /** '' or a prefix ending in '/'. */
  s3Prefix: string;
  s3ForcePathStyle: boolean;
  s3CredentialsFile?: string;
}

const S3_KEYS = ['s3Endpoint', 's3Bucket', 's3Prefix', 's3ForcePathStyle', 's3CredentialsFile'] as const;

// S3's bucket naming rules (also what MinIO, Garage and R2 accept): 3-63 lowercase letters,
// digits, dots and hyphens, starting and ending with a letter or digit.
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX_SEGMENT_RE = /^[A-Za-z0-9!_.*'()-]+$/;
const REGION_RE = /^[A-Za-z0-9_-]{1,64}$/;

export function validateBucket(bucket: string, origin: string): string {
  if (!BUCKET_RE.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    throw new UserInputError(`${origin}: "${bucket}" is not a valid bucket name (3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit)`);
  }
  return bucket;
}

/** '' stays ''; otherwise no leading slash and exactly one trailing slash. */
export function normalizePrefix(prefix: string, origin: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  if (trimmed.length > 512) throw new UserInputError(`${origin}: prefix is longer than 512 characters`);
  for (const seg of trimmed.split('/')) {
    if (seg === '' || seg === '.' || seg === '..' || !PREFIX_SEGMENT_RE.test(seg)) {
      throw new UserInputError(`${origin}: invalid key prefix ${JSON.stringify(prefix)} (segments of letters, digits and !_.*'()- separated by single slashes)`);
    }
  }
  return `${trimmed}/`;
}

/** `s3://BUCKET[/PREFIX]`. */
export function parseS3Url(text: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/?#]*)(\/[^?#]*)?$/i.exec(text);
  if (!m) throw new UserInputError(`object-store: expected fs, s3 or s3://BUCKET[/PREFIX], got ${JSON.stringify(text)}`);
  return { bucket: validateBucket(m[1] ?? '', 'object-store URL'), prefix: normalizePrefix(m[2] ?? '', 'object-store URL') };
}

export function normalizeEndpoint(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserInputError(`s3-endpoint: ${JSON.stringify(text)} is not a URL (e.g. http://127.0.0.1:9000 or https://ACCOUNT.r2.cloudflarestorage.com)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UserInputError(`s3-endpoint: must start with http:// or https://, got ${url.protocol}`);
  if (url.username || url.password) throw new UserInputError('s3-endpoint: must not contain credentials; use --s3-credentials-file or PORTWARDEN_S3_ACCESS_KEY_ID/PORTWARDEN_S3_SECRET_ACCESS_KEY');
  if (url.search || url.hash) throw new UserInputError('s3-endpoint: must not have a query or fragment');
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * Turns the raw `objectStore` value (fs, s3 or an s3:// URL) and the s3 keys into the checked
 * settings. `given` names the keys that were set explicitly (file, env or flag).
 */
export function normalizeObjectStore<T extends ObjectStoreSettings>(cfg: T, given: ReadonlySet<string>, warn: (msg: string) => void): T {
  const raw = String(cfg.objectStore);
  const out: T = { ...cfg };
  if (/^s3:\/\//i.test(raw)) {
    const { bucket, prefix } = parseS3Url(raw);
    if (given.has('s3Bucket') && cfg.s3Bucket !== bucket) throw new UserInputError(`object-store URL names bucket "${bucket}" but s3-bucket is "${cfg.s3Bucket}": give one of them`);
    if (given.has('s3Prefix') && prefix && normalizePrefix(cfg.s3Prefix, 's3-prefix') !== prefix) throw new UserInputError(`object-store URL has prefix "${prefix}" but s3-prefix is "${cfg.s3Prefix}": give one of them`);
    out.objectStore = 's3';
    out.s3Bucket = bucket;
    out.s3Prefix = prefix || cfg.s3Prefix;
  } else if (raw !== 'fs' && raw !== 's3') {
    throw new UserInputError(`object-store: expected fs, s3 or s3://BUCKET[/PREFIX], got ${JSON.stringify(raw)}`);
  }
  if (out.objectStore === 'fs') {
    const stray = S3_KEYS.filter((k) => given.has(k));
    if (stray.length) warn(`${stray.join(', ')} ignored: the object store is the filesystem (set --object-store s3 to use S3)`);
    return out;
  }
  if (!out.s3Bucket) throw new UserInputError('object-store s3 needs a bucket: --s3-bucket NAME (or --object-store s3://NAME/PREFIX)');
  validateBucket(out.s3Bucket, 's3-bucket');
  out.s3Prefix = normalizePrefix(out.s3Prefix, 's3-prefix');
  if (!REGION_RE.test(out.s3Region)) throw new UserInputError(`s3-region: ${JSON.stringify(out.s3Region)} is not a region name`);
  if (out.s3Endpoint !== undefined) out.s3Endpoint = normalizeEndpoint(out.s3Endpoint);
  return out;
}

/** AWS's regional endpoint when none is configured. */
export function defaultS3Endpoint(region: string): string {
  return `https://s3.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

function credentialPair(env: NodeJS.ProcessEnv, id: string, secret: string, token: string): S3Credentials | undefined {
  const accessKeyId = env[id];
  const secretAccessKey = env[secret];
  if (!accessKeyId && !secretAccessKey) return undefined;
  if (!accessKeyId || !secretAccessKey) throw new UserInputError(`S3 credentials: ${accessKeyId ? secret : id} is not set but ${accessKeyId ? id : secret} is; set both`);
  const sessionToken = env[token];
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** `{accessKeyId, secretAccessKey, sessionToken?}` as YAML or JSON. Errors name the file and the field, never a value. */
export function parseS3CredentialsFile(text: string, file: string): S3Credentials {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new UserInputError(`S3 credentials file ${file}: invalid JSON/YAML: ${errorMessage(err).split('\n')[0]}`);
  }
  const rec = doc as Record<string, unknown> | null;
  if (!rec || typeof rec !== 'object' || Array.isArray(rec)) throw new UserInputError(`S3 credentials file ${file}: expected a mapping {accessKeyId, secretAccessKey, sessionToken?}`);
  const unknown = Object.keys(rec).filter((k) => !['accessKeyId', 'secretAccessKey', 'sessionToken'].includes(k));
  if (unknown.length) throw new UserInputError(`S3 credentials file ${file}: unknown field(s) ${unknown.join(', ')} (expected accessKeyId, secretAccessKey, sessionToken)`);
  for (const k of ['accessKeyId', 'secretAccessKey'] as const) {
    if (typeof rec[k] !== 'string' || rec[k] === '') throw new UserInputError(`S3 credentials file ${file}: ${k} must be a non-empty string`);
  }
  if (rec.sessionToken !== undefined && typeof rec.sessionToken !== 'string') throw new UserInputError(`S3 credentials file ${file}: sessionToken must be a string`);
  return { accessKeyId: rec.accessKeyId as string, secretAccessKey: rec.secretAccessKey as string, ...(rec.sessionToken ? { sessionToken: rec.sessionToken as string } : {}) };
}

/** Credentials file, then PORTWARDEN_S3_*, then AWS_*. */
export function resolveS3Credentials(settings: Pick<ObjectStoreSettings, 's3CredentialsFile'>, env: NodeJS.ProcessEnv = process.env, readFile: (f: string) => string = (f) => readFileSync(f, 'utf8')): S3Credentials {
  if (settings.s3CredentialsFile) {
    let text: string;
    try {
      text = readFile(settings.s3CredentialsFile);
    } catch (err) {
      throw new UserInputError(`S3 credentials file ${settings.s3CredentialsFile}: cannot read: ${errorMessage(err)}`);
    }
    return parseS3CredentialsFile(text, settings.s3CredentialsFile);
  }
  const creds = credentialPair(env, 'PORTWARDEN_S3_ACCESS_KEY_ID', 'PORTWARDEN_S3_SECRET_ACCESS_KEY', 'PORTWARDEN_S3_SESSION_TOKEN')
    ?? credentialPair(env, 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN');
  if (!creds) throw new UserInputError('object-store s3 needs credentials: --s3-credentials-file FILE, or PORTWARDEN_S3_ACCESS_KEY_ID and PORTWARDEN_S3_SECRET_ACCESS_KEY, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  return creds;
}

/** What openObjectStore needs, credentials included (resolved here, at the last moment). */
export function objectStoreOptions(settings: ObjectStoreSettings, env: NodeJS.ProcessEnv = process.env): ObjectStoreOptions {
  if (settings.objectStore === 'fs') return { kind: 'fs', dir: settings.objectsDir };
  return {
    kind: 's3',
    endpoint: settings.s3Endpoint ?? defaultS3Endpoint(settings.s3Region),
    region: settings.s3Region,
    bucket: settings.s3Bucket!,
    prefix: settings.s3Prefix,
    forcePathStyle: settings.s3ForcePathStyle,
    credentials: resolveS3Credentials(settings, env),
  };
}
