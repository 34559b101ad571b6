/**
 * Bearer tokens for the Distribution token flow (https://distribution.github.io/distribution/spec/auth/token/):
 * one request to the challenge's realm per (API host, scope set), with credentials as Basic auth or an
 * identity token as an OAuth2 refresh token, and a cache that renews tokens a little before they expire.
 */
import type { Dispatcher } from 'undici';
import type { AuthChallenge } from './challenge.ts';
import { basicAuthorization, type RegistryCredential } from './credentials.ts';
import { RegistryError } from './errors.ts';
import { errorDetail, readLimited } from './http.ts';

const TOKEN_EXPIRY_SKEW_MS = 10_000;
/** The spec's default when a token response has no `expires_in`. */
const DEFAULT_TOKEN_LIFETIME_S = 60;
const MAX_TOKEN_RESPONSE = 1024 * 1024;

export interface BearerToken {
  token: string;
  expiresAt: number;
}

/** Sends one request (with the client's retries) and returns the final response, whatever its status. */
export type SendRequest = (url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined) => Promise<Dispatcher.ResponseData>;

export interface TokenRequest {
  registry: string;
  /** A `bearer` challenge: its `realm` is the token service, `service` names the registry to it. */
  challenge: AuthChallenge;
  credential?: RegistryCredential;
  scopes: string[];
  /** Which credentials were used, for error messages ("credentials from docker config"). */
  credentialText: string;
}

/** Tokens by key; concurrent callers for one key share a single request (layers are fetched in parallel). */
export class TokenCache {
  private readonly tokens = new Map<string, BearerToken>();
  private readonly inFlight = new Map<string, Promise<BearerToken>>();

  /** The cached token for `key` unless expired or `forceRefresh` (the registry refused it), else a new one from `fetch`. */
  async get(key: string, forceRefresh: boolean, fetch: () => Promise<BearerToken>): Promise<string> {
    const cached = this.tokens.get(key);
    if (cached && !forceRefresh && cached.expiresAt > Date.now()) return cached.token;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = fetch().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    const token = await pending;
    this.tokens.set(key, token);
    return token.token;
  }
}

/** Asks the challenge's token service for a token covering `scopes`. Errors are RegistryErrors that name the service. */
export async function requestToken(req: TokenRequest, send: SendRequest): Promise<BearerToken> {
  const { registry, challenge, credential: cred, scopes } = req;
  const realm = challenge.params.realm;
  let realmUrl: URL;
  try {
    realmUrl = new URL(realm ?? '');
  } catch {
    throw new RegistryError('registry_error', `${registry}: bearer challenge has no usable realm (${JSON.stringify(realm ?? null)})`);
  }
  if (realmUrl.protocol !== 'https:' && realmUrl.protocol !== 'http:') {
    throw new RegistryError('registry_error', `${registry}: token realm must be an http(s) URL`);
  }
  const service = challenge.params.service;
  let res: Dispatcher.ResponseData;
  if (cred?.identityToken) {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.identityToken, client_id: 'portwarden' });
    if (service) form.set('service', service);
    if (scopes.length) form.set('scope', scopes.join(' '));
    res = await send(realmUrl, 'POST', { 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from(form.toString()));
  } else {
    const url = new URL(realmUrl);
    if (service) url.searchParams.set('service', service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    if (cred?.username) {
      url.searchParams.set('account', cred.username);
      headers.authorization = basicAuthorization(cred.username, cred.password);
    }
    res = await send(url, 'GET', headers, undefined);
  }
  if (res.statusCode === 401 || res.statusCode === 403) {
    const detail = await errorDetail(res.body);
    throw new RegistryError(
      'unauthorized',
      `${registry}: authentication failed (HTTP ${res.statusCode} from token service ${realmUrl.host}) using ${req.credentialText}${detail ? `: ${detail}` : ''}`,
      { status: res.statusCode },
    );
  }
  if (res.statusCode !== 200) {
    const detail = await errorDetail(res.body);
    throw new RegistryError('registry_error', `${registry}: token service ${realmUrl.host} answered HTTP ${res.statusCode}${detail ? `: ${detail}` : ''}`, { status: res.statusCode });
  }
  const body = await readLimited(res.body, MAX_TOKEN_RESPONSE, () => new RegistryError('registry_error', `${registry}: token response larger than 1 MiB`));
  return parseTokenResponse(body, `${registry}: token service ${realmUrl.host}`, Date.now());
}

/** A token response (`token` or `access_token`, `expires_in`, `issued_at`) → the token and when to renew it. */
export function parseTokenResponse(body: Buffer, from: string, now: number): BearerToken {
  let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
  try {
    doc = JSON.parse(body.toString('utf8')) as typeof doc;
  } catch {
    throw new RegistryError('registry_error', `${from} returned invalid JSON`);
  }
  const token = typeof doc.token === 'string' && doc.token ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
  if (!token) throw new RegistryError('registry_error', `${from} returned no token`);
  const lifetimeS = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : DEFAULT_TOKEN_LIFETIME_S;
  const issued = typeof doc.issued_at === 'string' ? Date.parse(doc.issued_at) : NaN;
  // A skewed server clock must not make a fresh token look expired (or a stale one fresh).
  const start = Number.isNaN(issued) || Math.abs(issued - now) > 5 * 60_000 ? now : issued;
  // Renew a little early, but never make a short-lived token count as expired on arrival.
  const skewMs = Math.min(TOKEN_EXPIRY_SKEW_MS, (lifetimeS * 1000) / 2);
  return { token, expiresAt: start + lifetimeS * 1000 - skewMs };
}
