/**
 * Distribution v2 API client on undici: anonymous, basic and bearer-token auth, retries with
 * backoff, verified manifests and blobs, and push (blobs with exists-check and cross-repo mount,
 * manifests by tag or digest).
 */
import type { Readable, Writable } from 'node:stream';
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { VERSION } from '../../version.ts';
import { errorMessage } from '../../util/errors.ts';
import { parseAuthChallenges, type AuthChallenge } from './challenge.ts';
import { basicAuthorization, resolveCredential, type RegistryCredential } from './credentials.ts';
import { RegistryError } from './errors.ts';
import { MANIFEST_ACCEPT } from './manifest.ts';
import { DEFAULT_RETRY, backoffDelay, isRetriableError, isRetriableStatus, parseRetryAfter, sleep, type RetryPolicy } from './retry.ts';
import { abandon, drain, errorDetail, header, headerAll, readLimited } from './http.ts';
import { TokenCache, requestToken } from './token.ts';
import { computeDigest, digestAlgorithm, verifyBytes, verifyingStream } from './verify.ts';

export interface RegistryLogger {
  warn(message: string): void;
  debug?(message: string): void;
}

export interface RegistryOptions {
  /** Explicit credentials (`--creds USER:PASS`); highest precedence, used for every registry. */
  credentials?: { username: string; password: string };
  /** Per-registry credentials (`{"host:port": {username, password}}`), after `credentials`, before the environment. */
  authByHost?: Record<string, { username: string; password: string }>;
  /** Environment to read PORTWARDEN_REGISTRY_*, DOCKER_CONFIG and HTTP(S)_PROXY/NO_PROXY from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Docker config.json location override (default $DOCKER_CONFIG/config.json or ~/.docker/config.json). */
  dockerConfigPath?: string;
  /** Hosts (`host` or `host:port`) spoken to over plain HTTP; adds to PORTWARDEN_INSECURE_REGISTRIES. Loopback is always plain HTTP. */
  insecureRegistries?: string[];
  /** Largest manifest or index accepted (default 4 MiB). */
  maxManifestBytes?: number;
  /** Largest image config accepted (default 8 MiB). */
  maxConfigBytes?: number;
  /** Most layers accepted in one image (default 500). */
  maxLayers?: number;
  retry?: Partial<RetryPolicy>;
  /** Called before each retry (for progress output and tests). */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string; url: string }) => void;
  signal?: AbortSignal;
  logger?: RegistryLogger;
  dispatcher?: Dispatcher;
  userAgent?: string;
}

export interface RepositoryRef {
  /** Registry as the user wrote it (`docker.io`, `localhost:5000`). */
  registry: string;
  repository: string;
}

export interface FetchedManifest {
  bytes: Buffer;
  digest: string;
  mediaType: string | undefined;
}

export const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_CONFIG_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_LAYERS = 500;
const MAX_REDIRECTS = 5;

const AGENT_OPTIONS = { connectTimeout: 30_000, headersTimeout: 60_000, bodyTimeout: 120_000, keepAliveTimeout: 10_000 };
let sharedAgent: Agent | undefined;
function defaultDispatcher(): Agent {
  sharedAgent ??= new Agent(AGENT_OPTIONS);
  return sharedAgent;
}

const proxyAgents = new Map<string, Dispatcher>();
/**
 * HTTP(S)_PROXY / NO_PROXY (either case) from the client's environment, as curl and Docker honour
 * them; undefined when no proxy is configured. Values are passed explicitly so a client given its
 * own `env` never picks up the process's proxies behind its back.
 */
function proxyDispatcher(env: Record<string, string | undefined>): Dispatcher | undefined {
  const httpProxy = env.http_proxy ?? env.HTTP_PROXY ?? '';
  const httpsProxy = env.https_proxy ?? env.HTTPS_PROXY ?? '';
  if (!httpProxy && !httpsProxy) return undefined;
  const noProxy = env.no_proxy ?? env.NO_PROXY ?? '';
  const key = JSON.stringify([httpProxy, httpsProxy, noProxy]);
  let agent = proxyAgents.get(key);
  if (!agent) {
    agent = new EnvHttpProxyAgent({ ...AGENT_OPTIONS, httpProxy, httpsProxy, noProxy });
    proxyAgents.set(key, agent);
  }
  return agent;
}

/** Registry name → host serving the API (`docker.io` → `registry-1.docker.io`). */
export function apiHostFor(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? 'registry-1.docker.io' : registry;
}

function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

export function isLoopbackHost(host: string): boolean {
  const name = hostWithoutPort(host).toLowerCase();
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

interface HostState {
  scheme: 'http' | 'https';
  /** Auth challenge from the last 401; undefined until seen (anonymous works until then). */
  challenge?: AuthChallenge;
  credential?: RegistryCredential;
  credentialResolved: boolean;
}

interface SendOptions {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** Path and query under the API host (`/v2/…`), or an absolute URL (upload locations). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  scopes: string[];
}

export class RegistryClient {
  readonly maxManifestBytes: number;
  readonly maxConfigBytes: number;
  readonly maxLayers: number;
  private readonly retry: RetryPolicy;
  private readonly env: Record<string, string | undefined>;
  private readonly insecure: Set<string>;
  private readonly hosts = new Map<string, HostState>();
  private readonly tokens = new TokenCache();
  private readonly warned = new Set<string>();
  private readonly dispatcher: Dispatcher;
  /** Proxy from the environment, for non-loopback hosts only. */
  private readonly proxy: Dispatcher | undefined;
  private readonly userAgent: string;

  constructor(private readonly opts: RegistryOptions = {}) {
    this.env = opts.env ?? process.env;
    this.maxManifestBytes = opts.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
    this.maxConfigBytes = opts.maxConfigBytes ?? DEFAULT_MAX_CONFIG_BYTES;
    this.maxLayers = opts.maxLayers ?? DEFAULT_MAX_LAYERS;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.dispatcher = opts.dispatcher ?? defaultDispatcher();
    this.proxy = opts.dispatcher ? undefined : proxyDispatcher(this.env);
    this.userAgent = opts.userAgent ?? `portwarden/${VERSION}`;
    const fromEnv = (this.env.PORTWARDEN_INSECURE_REGISTRIES ?? '').split(',').map((h) => h.trim()).filter(Boolean);
    // Users paste `http://host:5000/` as often as `host:5000`; only the host[:port] matters.
    this.insecure = new Set([...fromEnv, ...(opts.insecureRegistries ?? [])].map((h) => h.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase()));
  }

  private warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    if (this.opts.logger) this.opts.logger.warn(message);
    else process.stderr.write(`warning: ${message}\n`);
  }

  private hostState(registry: string): HostState {
    const apiHost = apiHostFor(registry);
    let state = this.hosts.get(apiHost);
    if (!state) {
      const plain = isLoopbackHost(apiHost) || this.insecure.has(apiHost.toLowerCase()) || this.insecure.has(hostWithoutPort(apiHost).toLowerCase()) || this.insecure.has(registry.toLowerCase());
      state = { scheme: plain ? 'http' : 'https', credentialResolved: false };
      this.hosts.set(apiHost, state);
    }
    if (!state.credentialResolved) {
      state.credentialResolved = true;
      const found = resolveCredential(registry, {
        ...(this.opts.credentials ? { explicit: this.opts.credentials } : {}),
        ...(this.opts.authByHost ? { byHost: this.opts.authByHost } : {}),
        env: this.env,
        ...(this.opts.dockerConfigPath ? { dockerConfigPath: this.opts.dockerConfigPath } : {}),
      });
      for (const w of found.warnings) this.warn(w);
      if (found.credential) state.credential = found.credential;
    }
    return state;
  }

  private baseUrl(registry: string): string {
    return `${this.hostState(registry).scheme}://${apiHostFor(registry)}`;
  }

  private describeCredential(state: HostState): string {
    return state.credential ? `credentials from ${state.credential.source}` : 'no credentials (set --creds, PORTWARDEN_REGISTRY_AUTH or docker login)';
  }

  /** One HTTP exchange with manual redirects; Authorization is dropped when a redirect leaves the origin. */
  private async exchange(url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined): Promise<Dispatcher.ResponseData> {
    let current = url;
    let currentMethod = method;
    let currentHeaders = headers;
    let currentBody = body;
    for (let hop = 0; ; hop++) {
      // A test or sidecar registry on loopback is never reached through a corporate proxy.
      const dispatcher = this.proxy && !isLoopbackHost(current.host) ? this.proxy : this.dispatcher;
      const res = await dispatcher.request({
        origin: current.origin,
        path: `${current.pathname}${current.search}`,
        method: currentMethod as Dispatcher.HttpMethod,
        headers: { 'user-agent': this.userAgent, ...currentHeaders },
        body: currentBody ?? null,
        signal: this.opts.signal ?? null,
        // Layers are large: bigger reads mean fewer stream turns per MiB hashed.
        highWaterMark: 1 << 20,
      });
      const location = header(res.headers, 'location');
      if (![301, 302, 303, 307, 308].includes(res.statusCode) || !location || currentMethod === 'PUT' || currentMethod === 'POST' || currentMethod === 'PATCH') {
        return res;
      }
      await drain(res.body);
      if (hop >= MAX_REDIRECTS) throw new RegistryError('registry_error', `${url.host}: more than ${MAX_REDIRECTS} redirects for ${url.pathname}`);
      const next = new URL(location, current);
      if (next.origin !== current.origin) {
        const { authorization: _dropped, ...rest } = currentHeaders;
        currentHeaders = rest;
      }
      if (res.statusCode === 303) {
        currentMethod = 'GET';
        currentBody = undefined;
      }
      current = next;
    }
  }

  /** Sends with retries on 429/5xx/connection errors; the caller gets the final response (any status). */
  private async sendWithRetry(url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined): Promise<Dispatcher.ResponseData> {
    for (let attempt = 1; ; attempt++) {
      let reason: string;
      let retryAfter: number | undefined;
      try {
        const res = await this.exchange(url, method, headers, body);
        if (!isRetriableStatus(res.statusCode) || attempt >= this.retry.attempts) return res;
        retryAfter = parseRetryAfter(header(res.headers, 'retry-after'));
        reason = `HTTP ${res.statusCode}`;
        await drain(res.body);
      } catch (err) {
        if (this.opts.signal?.aborted) throw err;
        if (err instanceof RegistryError || !isRetriableError(err)) {
          if (err instanceof RegistryError) throw err;
          throw new RegistryError('registry_unavailable', `${url.host}: ${method} ${url.pathname} failed: ${errorMessage(err)}`, { cause: err });
        }
        if (attempt >= this.retry.attempts) {
          throw new RegistryError('registry_unavailable', `${url.host}: ${method} ${url.pathname} failed after ${attempt} attempts: ${errorMessage(err)}`, { cause: err });
        }
        reason = errorMessage(err);
      }
      const delayMs = retryAfter !== undefined ? Math.min(retryAfter, this.retry.maxRetryAfterMs) : backoffDelay(attempt - 1, this.retry);
      this.opts.onRetry?.({ attempt, delayMs, reason, url: `${url.origin}${url.pathname}` });
      this.opts.logger?.debug?.(`retrying ${method} ${url.host}${url.pathname} in ${delayMs} ms (${reason})`);
      await sleep(delayMs, this.opts.signal);
    }
  }

  private async ensureChallenge(registry: string, state: HostState): Promise<void> {
    if (state.challenge !== undefined || !state.credential) return;
    // With credentials, learn the auth scheme up front (GET /v2/) so request bodies are not sent
    // twice and the first token request already carries the credentials.
    const url = new URL(`${this.baseUrl(registry)}/v2/`);
    const res = await this.sendWithRetry(url, 'GET', {}, undefined);
    await drain(res.body);
    if (res.statusCode === 401) this.rememberChallenge(state, res);
    // An open /v2/ still lets repositories demand auth later; `none` marks the probe as done.
    else state.challenge = { scheme: 'none', params: {} };
  }

  private rememberChallenge(state: HostState, res: Dispatcher.ResponseData): void {
    const challenges = headerAll(res.headers, 'www-authenticate').flatMap(parseAuthChallenges);
    state.challenge = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic') ?? { scheme: 'none', params: {} };
  }

  private async authorization(registry: string, state: HostState, scopes: string[], forceRefresh: boolean): Promise<string | undefined> {
    const challenge = state.challenge;
    if (!challenge) return undefined;
    const cred = state.credential;
    if (challenge.scheme === 'basic') {
      if (!cred?.username) return undefined;
      return basicAuthorization(cred.username, cred.password);
    }
    if (challenge.scheme !== 'bearer') return undefined;
    if (cred?.registryToken) return `Bearer ${cred.registryToken}`;
    const key = `${apiHostFor(registry)}|${[...scopes].sort().join(' ')}`;
    const token = await this.tokens.get(key, forceRefresh, () =>
      requestToken({ registry, challenge, ...(cred ? { credential: cred } : {}), scopes, credentialText: this.describeCredential(state) }, (url, method, headers, body) => this.sendWithRetry(url, method, headers, body)),
    );
    return `Bearer ${token}`;
  }

  /**
   * Sends an authenticated request. On 401 it learns the challenge (or refreshes an expired
   * token) and tries once more; a second 401 is an `unauthorized` error.
   */
  private async send(registry: string, o: SendOptions): Promise<Dispatcher.ResponseData> {
    const state = this.hostState(registry);
    await this.ensureChallenge(registry, state);
    const url = /^https?:\/\//.test(o.path) ? new URL(o.path) : new URL(`${this.baseUrl(registry)}${o.path}`);
    for (let authAttempt = 0; ; authAttempt++) {
      // Upload locations may point at other hosts (storage backends): never hand them our token.
      const sameOrigin = url.origin === new URL(this.baseUrl(registry)).origin;
      const auth = sameOrigin ? await this.authorization(registry, state, o.scopes, authAttempt > 0) : undefined;
      const headers = { ...o.headers, ...(auth ? { authorization: auth } : {}) };
      const res = await this.sendWithRetry(url, o.method, headers, o.body);
      if (res.statusCode !== 401) return res;
      const hadChallenge = state.challenge !== undefined && state.challenge.scheme !== 'none';
      this.rememberChallenge(state, res);
      const canRetry = authAttempt === 0 && (state.challenge?.scheme === 'bearer' || (state.challenge?.scheme === 'basic' && !hadChallenge && state.credential !== undefined));
      if (!canRetry) {
        const detail = await errorDetail(res.body);
        throw new RegistryError(
          'unauthorized',
          `${registry}: unauthorized (HTTP 401) for ${o.method} ${url.pathname} using ${this.describeCredential(state)}${detail ? `: ${detail}` : ''}`,
          { status: 401 },
        );
      }
      await drain(res.body);
    }
  }

  private async failFor(registry: string, what: string, res: Dispatcher.ResponseData): Promise<never> {
    const detail = await errorDetail(res.body);
    const suffix = detail ? `: ${detail}` : '';
    const status = res.statusCode;
    if (status === 404) throw new RegistryError('not_found', `${what} not found in ${registry} (HTTP 404)${suffix}`, { status });
    if (status === 403) throw new RegistryError('denied', `${registry}: access denied to ${what} (HTTP 403)${suffix}`, { status });
    if (isRetriableStatus(status)) throw new RegistryError('registry_unavailable', `${registry}: ${what}: HTTP ${status} after ${this.retry.attempts} attempts${suffix}`, { status });
    throw new RegistryError('registry_error', `${registry}: ${what}: HTTP ${status}${suffix}`, { status });
  }

  private repoPath(ref: RepositoryRef): string {
    return `/v2/${ref.repository}`;
  }

  private where(ref: RepositoryRef, reference: string): string {
    return `${ref.registry}/${ref.repository}${reference.includes(':') ? '@' : ':'}${reference}`;
  }

  /** GET a manifest (tag or digest), size-limited and verified: against the digest when asked by digest, else against Docker-Content-Digest. */
  async getManifest(ref: RepositoryRef, reference: string): Promise<FetchedManifest> {
    const where = this.where(ref, reference);
    const res = await this.send(ref.registry, {
      method: 'GET',
      path: `${this.repoPath(ref)}/manifests/${reference}`,
      headers: { accept: MANIFEST_ACCEPT },
      scopes: [`repository:${ref.repository}:pull`],
    });
    if (res.statusCode !== 200) return this.failFor(ref.registry, `manifest ${where}`, res);
    const tooLarge = (): RegistryError =>
      new RegistryError('manifest_too_large', `${where}: manifest larger than the ${this.maxManifestBytes}-byte limit (raise maxManifestBytes if this is expected)`);
    const declared = Number(header(res.headers, 'content-length'));
    if (Number.isFinite(declared) && declared > this.maxManifestBytes) {
      abandon(res.body);
      throw tooLarge();
    }
    const bytes = await readLimited(res.body, this.maxManifestBytes, tooLarge);
    const isDigest = reference.includes(':');
    const headerDigest = header(res.headers, 'docker-content-digest');
    let digest: string;
    if (isDigest) {
      verifyBytes(bytes, reference, `manifest ${where}`);
      digest = reference;
    } else if (headerDigest && /^sha(256|512):[0-9a-f]+$/.test(headerDigest)) {
      verifyBytes(bytes, headerDigest, `manifest ${where}`);
      digest = digestAlgorithm(headerDigest) === 'sha256' ? headerDigest : computeDigest(bytes);
    } else {
      digest = computeDigest(bytes);
    }
    return { bytes, digest, mediaType: header(res.headers, 'content-type')?.split(';')[0]?.trim() };
  }

  /** HEAD a manifest: its digest without downloading it (falls back to GET when the header is missing). */
  async resolveManifestDigest(ref: RepositoryRef, reference: string): Promise<string> {
    const res = await this.send(ref.registry, {
      method: 'HEAD',
      path: `${this.repoPath(ref)}/manifests/${reference}`,
      headers: { accept: MANIFEST_ACCEPT },
      scopes: [`repository:${ref.repository}:pull`],
    });
    await drain(res.body);
    if (res.statusCode === 200) {
      const digest = header(res.headers, 'docker-content-digest');
      if (digest && /^sha256:[0-9a-f]{64}$/.test(digest)) return digest;
      return (await this.getManifest(ref, reference)).digest;
    }
    if (res.statusCode === 404) throw new RegistryError('not_found', `manifest ${this.where(ref, reference)} not found in ${ref.registry} (HTTP 404)`, { status: 404 });
    return this.failFor(ref.registry, `manifest ${this.where(ref, reference)}`, res);
  }

  /** A blob's bytes, whole, verified and size-limited (configs). */
  async getBlobBytes(ref: RepositoryRef, digest: string, expectedSize: number | undefined, maxBytes: number, what = 'blob'): Promise<Buffer> {
    if (expectedSize !== undefined && expectedSize > maxBytes) {
      throw new RegistryError('blob_too_large', `${what} ${digest} is ${expectedSize} bytes, over the ${maxBytes}-byte limit`);
    }
    const res = await this.openBlobResponse(ref, digest, expectedSize, what);
    const bytes = await readLimited(res.body, maxBytes, () => new RegistryError('blob_too_large', `${what} ${digest} exceeds the ${maxBytes}-byte limit`));
    if (expectedSize !== undefined && bytes.length !== expectedSize) {
      throw new RegistryError('size_mismatch', `${what} ${digest}: got ${bytes.length} bytes, descriptor declares ${expectedSize}`);
    }
    verifyBytes(bytes, digest, `${what} ${ref.registry}/${ref.repository}`);
    return bytes;
  }

  private async openBlobResponse(ref: RepositoryRef, digest: string, expectedSize: number | undefined, what: string): Promise<Dispatcher.ResponseData> {
    digestAlgorithm(digest);
    const res = await this.send(ref.registry, {
      method: 'GET',
      path: `${this.repoPath(ref)}/blobs/${digest}`,
      scopes: [`repository:${ref.repository}:pull`],
    });
    if (res.statusCode !== 200) return this.failFor(ref.registry, `${what} ${digest} in ${ref.repository}`, res);
    const declared = Number(header(res.headers, 'content-length'));
    if (expectedSize !== undefined && header(res.headers, 'content-length') !== undefined && Number.isFinite(declared) && declared !== expectedSize) {
      abandon(res.body);
      throw new RegistryError('size_mismatch', `${what} ${digest}: registry sends ${declared} bytes, descriptor declares ${expectedSize}`);
    }
    return res;
  }

  /**
   * A blob as a stream that verifies size and digest as it flows; it errors at the end (or as soon
   * as too many bytes arrive) with a message naming the digest.
   */
  async openBlob(ref: RepositoryRef, digest: string, expectedSize?: number, what = 'blob'): Promise<Readable> {
    const first = await this.openBlobResponse(ref, digest, expectedSize, what);
    const verifier = verifyingStream(digest, expectedSize, `${what} ${ref.registry}/${ref.repository}`);
    this.pumpBlob(ref, digest, what, first, verifier).catch((err: unknown) => verifier.destroy(err instanceof Error ? err : new Error(String(err))));
    return verifier;
  }

  /**
   * Copies the blob body into the verifier. A connection lost mid-body (reset, timeout) is resumed
   * with `Range: bytes=N-` up to the retry budget, so one dropped socket does not restart a
   * multi-gigabyte layer; a registry that ignores Range (200) has the first N bytes skipped.
   */
  private async pumpBlob(ref: RepositoryRef, digest: string, what: string, first: Dispatcher.ResponseData, verifier: Writable): Promise<void> {
    let res = first;
    let received = 0;
    let skip = 0;
    let resumes = 0;
    const stop = (): void => abandon(res.body);
    verifier.once('close', stop);
    try {
      for (;;) {
        try {
          for await (const chunk of res.body) {
            let c = chunk as Buffer;
            if (skip > 0) {
              const n = Math.min(skip, c.length);
              c = c.subarray(n);
              skip -= n;
              if (c.length === 0) continue;
            }
            received += c.length;
            if (verifier.destroyed) return;
            if (!verifier.write(c)) {
              await new Promise<void>((resolve) => {
                const done = (): void => {
                  verifier.off('drain', done);
                  verifier.off('close', done);
                  resolve();
                };
                verifier.on('drain', done);
                verifier.on('close', done);
              });
              if (verifier.destroyed) return;
            }
          }
          verifier.end();
          return;
        } catch (err) {
          if (verifier.destroyed) return;
          if (!isRetriableError(err) || resumes >= this.retry.attempts - 1 || this.opts.signal?.aborted) {
            throw new RegistryError('registry_unavailable', `${what} ${digest}: download failed after ${received} bytes: ${errorMessage(err)}`, { cause: err });
          }
          resumes++;
          const delayMs = backoffDelay(resumes - 1, this.retry);
          this.opts.onRetry?.({ attempt: resumes, delayMs, reason: `resuming at byte ${received}: ${errorMessage(err)}`, url: `${ref.registry}/v2/${ref.repository}/blobs/${digest}` });
          await sleep(delayMs, this.opts.signal);
          res = await this.send(ref.registry, {
            method: 'GET',
            path: `${this.repoPath(ref)}/blobs/${digest}`,
            headers: { range: `bytes=${received}-` },
            scopes: [`repository:${ref.repository}:pull`],
          });
          if (res.statusCode === 206) {
            const range = /^bytes (\d+)-/.exec(header(res.headers, 'content-range') ?? '');
            if (!range || Number(range[1]) !== received) {
              abandon(res.body);
              throw new RegistryError('registry_error', `${what} ${digest}: registry answered the resume at byte ${received} with range ${header(res.headers, 'content-range') ?? 'none'}`);
            }
            skip = 0;
          } else if (res.statusCode === 200) {
            skip = received;
          } else {
            return await this.failFor(ref.registry, `${what} ${digest} (resuming at byte ${received})`, res);
          }
        }
      }
    } finally {
      verifier.off('close', stop);
    }
  }

  async blobExists(ref: RepositoryRef, digest: string, scopes?: string[]): Promise<boolean> {
    const res = await this.send(ref.registry, {
      method: 'HEAD',
      path: `${this.repoPath(ref)}/blobs/${digest}`,
      scopes: scopes ?? [`repository:${ref.repository}:pull`],
    });
    await drain(res.body);
    if (res.statusCode === 200) return true;
    if (res.statusCode === 404) return false;
    return this.failFor(ref.registry, `blob ${digest}`, res);
  }

  /**
   * Uploads a blob unless the repository has it: HEAD, then a cross-repository mount from
   * `mountFrom` when given, else POST + monolithic PUT.
   */
  async pushBlob(ref: RepositoryRef, digest: string, data: Buffer, opts: { mountFrom?: string } = {}): Promise<'exists' | 'mounted' | 'uploaded'> {
    verifyBytes(data, digest, `blob to push to ${ref.registry}/${ref.repository}`);
    const pushScopes = [`repository:${ref.repository}:pull,push`, ...(opts.mountFrom ? [`repository:${opts.mountFrom}:pull`] : [])];
    if (await this.blobExists(ref, digest, pushScopes)) return 'exists';
    const query = opts.mountFrom ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(opts.mountFrom)}` : '';
    const start = await this.send(ref.registry, { method: 'POST', path: `${this.repoPath(ref)}/blobs/uploads/${query}`, scopes: pushScopes });
    if (start.statusCode === 201) {
      await drain(start.body);
      return 'mounted';
    }
    if (start.statusCode !== 202) return this.failFor(ref.registry, `starting upload of ${digest} to ${ref.repository}`, start);
    await drain(start.body);
    const location = header(start.headers, 'location');
    if (!location) throw new RegistryError('registry_error', `${ref.registry}: upload of ${digest} started without a Location header`);
    const uploadUrl = new URL(location, this.baseUrl(ref.registry));
    uploadUrl.searchParams.set('digest', digest);
    const put = await this.send(ref.registry, {
      method: 'PUT',
      path: uploadUrl.toString(),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
      body: data,
      scopes: pushScopes,
    });
    if (put.statusCode !== 201) return this.failFor(ref.registry, `uploading ${digest} to ${ref.repository}`, put);
    await drain(put.body);
    return 'uploaded';
  }

  /** PUTs a manifest or index by tag or digest; returns its digest (checked against the registry's). */
  async pushManifest(ref: RepositoryRef, reference: string, data: Buffer, mediaType: string): Promise<string> {
    const digest = computeDigest(data);
    if (reference.includes(':') && reference !== digest) verifyBytes(data, reference, `manifest to push to ${this.where(ref, reference)}`);
    const res = await this.send(ref.registry, {
      method: 'PUT',
      path: `${this.repoPath(ref)}/manifests/${reference}`,
      headers: { 'content-type': mediaType },
      body: data,
      scopes: [`repository:${ref.repository}:pull,push`],
    });
    if (res.statusCode !== 201 && res.statusCode !== 200) return this.failFor(ref.registry, `pushing manifest ${this.where(ref, reference)}`, res);
    await drain(res.body);
    const returned = header(res.headers, 'docker-content-digest');
    if (returned && returned !== digest) {
      throw new RegistryError('digest_mismatch', `${this.where(ref, reference)}: registry stored the manifest as ${returned}, expected ${digest}`);
    }
    return digest;
  }
}
