/**
 * A small S3 REST client for the object store: SigV4 signing by aws4fetch (see docs/decisions.md),
 * requests through undici, path-style or virtual-hosted addressing, retries with jittered
 * exponential backoff on throttling, 5xx and network faults, and S3 error bodies turned into
 * messages that say what to fix. Credentials live in private fields: they are never part of an
 * error, a log line or a serialised object.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { AwsV4Signer } from 'aws4fetch';
import { EnvHttpProxyAgent } from 'undici';
import type { Dispatcher } from 'undici';
import { PortwardenError, errorMessage } from '../util/errors.ts';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface RetryPolicy {
  /** Total tries of one request, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per try: connecting, sending and reading the whole answer. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5000, timeoutMs: 30000 };

export interface S3Location {
  /** Scheme, host, port and an optional base path, e.g. http://127.0.0.1:9000 or https://s3.eu-west-1.amazonaws.com. */
  endpoint: string;
  region: string;
  bucket: string;
  forcePathStyle: boolean;
}

export interface S3ClientOptions extends S3Location {
  credentials: S3Credentials;
  retry?: Partial<RetryPolicy>;
  /** Tests pass their own (e.g. one that resolves bucket host names to loopback). */
  dispatcher?: Dispatcher;
  onRetry?: (info: { operation: string; key: string; attempt: number; delayMs: number; reason: string }) => void;
}

export interface S3Request {
  /** S3 operation name, used in errors and retry logs (PutObject, GetObject…). */
  operation: string;
  method: 'GET' | 'PUT' | 'DELETE' | 'HEAD';
  /** Object key; '' addresses the bucket itself. */
  key: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Per-request retry policy override (the readiness probe answers quickly instead of retrying long). */
  retry?: Partial<RetryPolicy>;
  /** Statuses that are answers rather than errors for this call (GetObject: 404 NoSuchKey). */
  accept?: (status: number, code: string | undefined) => boolean;
  /** Runs on a successful response inside the retry loop; throw a retryable S3Error to try again. */
  validate?: (res: S3Response) => void;
}

export interface S3Response {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** S3 error code of an accepted error answer (e.g. NoSuchKey). */
  code?: string;
}

export class S3Error extends PortwardenError {
  readonly status: number | undefined;
  readonly s3Code: string | undefined;
  readonly requestId: string | undefined;
  readonly retryable: boolean;
  constructor(code: string, message: string, details: { status?: number; s3Code?: string; requestId?: string; retryable: boolean; cause?: unknown }) {
    super(code, message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = 'S3Error';
    this.status = details.status;
    this.s3Code = details.s3Code;
    this.requestId = details.requestId;
    this.retryable = details.retryable;
  }
}

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_CODES = new Set(['SlowDown', 'InternalError', 'ServiceUnavailable', 'RequestTimeout', 'Throttling', 'ThrottlingException']);
const CREDENTIAL_CODES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'InvalidSecurity']);

/** Virtual-hosted addressing needs a DNS name per bucket: not possible for IP or localhost endpoints, nor for dotted bucket names under TLS. */
export function usesPathStyle(loc: Pick<S3Location, 'endpoint' | 'bucket' | 'forcePathStyle'>): boolean {
  if (loc.forcePathStyle) return true;
  const url = new URL(loc.endpoint);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0 || host === 'localhost') return true;
  return url.protocol === 'https:' && loc.bucket.includes('.');
}

/** Encodes a key for the URL path: RFC 3986 unreserved characters and '/' stay as they are. */
function encodeKey(key: string): string {
  return key.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/');
}

export function objectUrl(loc: S3Location, key: string, query?: Record<string, string>): URL {
  const base = new URL(loc.endpoint);
  const basePath = base.pathname.replace(/\/+$/, '');
  const keyPath = key ? `/${encodeKey(key)}` : '/';
  let url: URL;
  if (usesPathStyle(loc)) {
    url = new URL(`${base.protocol}//${base.host}${basePath}/${encodeURIComponent(loc.bucket)}${key ? keyPath : ''}`);
  } else {
    url = new URL(`${base.protocol}//${loc.bucket}.${base.host}${basePath}${keyPath}`);
  }
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
  return url;
}

function xmlField(body: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(body);
  return m?.[1]?.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Connection-level failures (refused, reset, DNS, TLS, timeouts): worth another try. Anything else is a bug and propagates. */
function isNetworkError(err: unknown): boolean {
  const e = err as { name?: string; code?: unknown; cause?: { code?: unknown } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
  const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : '';
  return /^(E[A-Z_]+|UND_ERR_[A-Z_]+|ERR_SSL_[A-Z_]+|CERT_[A-Z_]+|UNABLE_TO_[A-Z_]+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)$/.test(code);
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = (err as { code?: string }).code ?? cause?.code;
  const msg = errorMessage(err);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

export class S3Client {
  readonly location: S3Location;
  readonly retry: RetryPolicy;
  readonly #credentials: S3Credentials;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #onRetry: S3ClientOptions['onRetry'];

  constructor(opts: S3ClientOptions) {
    this.location = { endpoint: opts.endpoint, region: opts.region, bucket: opts.bucket, forcePathStyle: opts.forcePathStyle };
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.#credentials = { ...opts.credentials };
    this.#ownsDispatcher = !opts.dispatcher;
    this.#dispatcher = opts.dispatcher ?? new EnvHttpProxyAgent({ keepAliveTimeout: 10_000, connections: 16 });
    this.#onRetry = opts.onRetry;
  }

  /** `s3://BUCKET/KEY`, for messages and logs. */
  where(key = ''): string {
    return `s3://${this.location.bucket}/${key}`;
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  async send(req: S3Request): Promise<S3Response> {
    const policy = { ...this.retry, ...req.retry };
    let lastError: S3Error | undefined;
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        const res = await this.once(req, policy.timeoutMs);
        if (res.status < 300 || req.accept?.(res.status, res.code)) {
          if (res.status < 300) req.validate?.(res);
          return res;
        }
        retryAfterMs = parseRetryAfter(res.headers['retry-after']);
        throw this.toError(req, res);
      } catch (err) {
        if (!(err instanceof S3Error) && !isNetworkError(err)) throw err;
        const e = err instanceof S3Error ? err : this.networkError(req, err, policy.timeoutMs);
        if (!e.retryable) throw e;
        lastError = e;
        if (attempt === policy.maxAttempts) break;
        const backoff = Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
        const delayMs = Math.min(policy.maxDelayMs, Math.max(backoff, retryAfterMs ?? 0));
        this.#onRetry?.({ operation: req.operation, key: req.key, attempt, delayMs: Math.round(delayMs), reason: e.message });
        await sleep(delayMs);
      }
    }
    throw new S3Error(lastError!.code, `${lastError!.message} (gave up after ${policy.maxAttempts} attempts)`, {
      ...(lastError!.status !== undefined ? { status: lastError!.status } : {}),
      ...(lastError!.s3Code !== undefined ? { s3Code: lastError!.s3Code } : {}),
      ...(lastError!.requestId !== undefined ? { requestId: lastError!.requestId } : {}),
      retryable: true, cause: lastError,
    });
  }

  private async once(req: S3Request, timeoutMs: number): Promise<S3Response> {
    const url = objectUrl(this.location, req.key, req.query);
    const signer = new AwsV4Signer({
      method: req.method,
      url: url.toString(),
      // Signed payload hash (callers that already hashed the body pass it in `headers`): the
      // server recomputes it, so a body altered in transit is refused.
      headers: { 'x-amz-content-sha256': req.body ? createHash('sha256').update(req.body).digest('hex') : EMPTY_SHA256, ...req.headers },
      accessKeyId: this.#credentials.accessKeyId,
      secretAccessKey: this.#credentials.secretAccessKey,
      ...(this.#credentials.sessionToken ? { sessionToken: this.#credentials.sessionToken } : {}),
      service: 's3',
      region: this.location.region,
    });
    const signed = await signer.sign();
    const headers: Record<string, string> = {};
    signed.headers.forEach((v, k) => { headers[k] = v; });
    const res = await this.#dispatcher.request({
      origin: signed.url.origin,
      path: `${signed.url.pathname}${signed.url.search}`,
      method: req.method,
      headers,
      ...(req.body ? { body: req.body } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const chunks: Buffer[] = [];
    for await (const chunk of res.body) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const out: S3Response = { status: res.statusCode, headers: flattenHeaders(res.headers), body };
    if (res.statusCode >= 300) {
      const code = body.length ? xmlField(body.toString('utf8'), 'Code') : undefined;
      if (code) out.code = code;
    }
    return out;
  }

  private networkError(req: S3Request, err: unknown, timeoutMs: number): S3Error {
    const reason = (err as { name?: string }).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : networkReason(err);
    return new S3Error('s3_unreachable', `cannot reach the S3 endpoint ${this.location.endpoint} for ${req.operation} ${this.where(req.key)}: ${reason}`, { retryable: true, cause: err });
  }

  /** Turns an S3 error answer into an error whose message says what to fix. */
  toError(req: S3Request, res: S3Response): S3Error {
    const text = res.body.toString('utf8');
    const s3Code = res.code;
    const requestId = xmlField(text, 'RequestId') ?? res.headers['x-amz-request-id'];
    const s3Message = xmlField(text, 'Message');
    const details = { status: res.status, ...(s3Code ? { s3Code } : {}), ...(requestId ? { requestId } : {}) };
    const what = `${req.operation} ${this.where(req.key)}`;
    const suffix = `${s3Code ? ` (${s3Code})` : ''}${requestId ? ` [request id ${requestId}]` : ''}`;
    const { endpoint, bucket, region } = this.location;
    if (s3Code && CREDENTIAL_CODES.has(s3Code)) {
      const hint = s3Code === 'SignatureDoesNotMatch'
        ? 'the secret access key does not match the access key id'
        : s3Code === 'InvalidAccessKeyId' ? 'the access key id is unknown to this server' : 'the session token is expired or invalid';
      return new S3Error('s3_credentials', `S3 at ${endpoint} rejected the credentials for ${what}: ${hint}; check --s3-credentials-file, PORTWARDEN_S3_ACCESS_KEY_ID/PORTWARDEN_S3_SECRET_ACCESS_KEY or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY${suffix}`, { ...details, retryable: false });
    }
    if (s3Code === 'NoSuchBucket' || (res.status === 404 && !s3Code && req.key === '')) {
      return new S3Error('s3_no_such_bucket', `bucket "${bucket}" does not exist at ${endpoint}: create it or fix --s3-bucket${suffix}`, { ...details, retryable: false });
    }
    const bucketRegion = res.headers['x-amz-bucket-region'] ?? xmlField(text, 'Region');
    if (s3Code === 'PermanentRedirect' || s3Code === 'AuthorizationHeaderMalformed' || s3Code === 'IllegalLocationConstraintException' || res.status === 301) {
      const fix = bucketRegion && bucketRegion !== region ? `the bucket is in region ${bucketRegion}, not ${region}: set --s3-region ${bucketRegion}` : `the endpoint or region does not match the bucket (region ${region})`;
      return new S3Error('s3_wrong_region', `S3 refused ${what}: ${fix}${suffix}`, { ...details, retryable: false });
    }
    if (s3Code === 'RequestTimeTooSkewed') {
      return new S3Error('s3_clock_skew', `S3 at ${endpoint} refused ${what}: this machine's clock differs from the server's by more than 15 minutes; fix the clock (NTP)${suffix}`, { ...details, retryable: false });
    }
    if (res.status === 403) {
      const why = s3Code === 'AccessDenied' || !s3Code ? 'the credentials lack permission for it (needs s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject on the bucket and prefix)' : s3Message ?? 'forbidden';
      return new S3Error('s3_access_denied', `S3 at ${endpoint} denied ${what}: ${why}${suffix}`, { ...details, retryable: false });
    }
    const retryable = RETRYABLE_STATUS.has(res.status) || (s3Code !== undefined && RETRYABLE_CODES.has(s3Code));
    const msg = s3Message ? `: ${s3Message}` : '';
    return new S3Error(retryable ? 's3_unavailable' : 's3_error', `S3 at ${endpoint} answered ${res.status} to ${what}${msg}${suffix}`, { ...details, retryable });
  }
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function parseRetryAfter(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
