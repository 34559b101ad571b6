/**
 * Where registry credentials come from, highest precedence first:
 *   1. explicit credentials (`--creds USER:PASS`), for every registry the command talks to;
 *      then per-host credentials passed in by the caller (`authByHost`, e.g. the service's secrets);
 *   2. `PORTWARDEN_REGISTRY_AUTH` = `{"host:port": {"username": "…", "password": "…"}}` for that host;
 *   3. `PORTWARDEN_REGISTRY_USERNAME` / `PORTWARDEN_REGISTRY_PASSWORD`, for every registry;
 *   4. Docker's `config.json` (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`) `auths`
 *      entry for the host: base64 `auth`, `username`/`password`, `identitytoken` (OAuth2 refresh
 *      token) or `registrytoken` (bearer token). Credential helpers are not run: a warning says so.
 * Values never appear in errors or logs; only the source's name does.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserInputError } from '../../util/errors.ts';

export interface RegistryCredential {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (`docker login` to registries that issue them stores it here). */
  identityToken?: string;
  /** A ready bearer token. */
  registryToken?: string;
  /** Human-readable origin, for error messages: `--creds`, `PORTWARDEN_REGISTRY_AUTH`, `/root/.docker/config.json`. */
  source: string;
}

/** `Authorization: Basic` for a username and password (RFC 7617), sent to registries and token services alike. */
export function basicAuthorization(username: string, password: string | undefined): string {
  return `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
}

export interface CredentialInputs {
  explicit?: { username: string; password: string };
  /** Per-host credentials handed over programmatically (the service's stored registry secrets). */
  byHost?: Record<string, { username: string; password: string }>;
  env: Record<string, string | undefined>;
  /** Overrides the Docker config location (tests); default from DOCKER_CONFIG / home. */
  dockerConfigPath?: string;
}

export interface CredentialLookup {
  credential?: RegistryCredential;
  warnings: string[];
}

/** `USER:PASS` (password may contain colons) → credentials; UserInputError otherwise. */
export function parseCredsFlag(value: string): { username: string; password: string } {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new UserInputError('--creds must be USERNAME:PASSWORD (the username cannot be empty)');
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/**
 * Reduces a config key (`https://index.docker.io/v1/`, `http://host:5000`, `host:5000/v2/`) to the
 * registry name it stands for, with every Docker Hub alias mapped to `docker.io`.
 */
export function normaliseRegistryKey(key: string): string {
  let host = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = host.indexOf('/');
  if (slash >= 0) host = host.slice(0, slash);
  host = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? 'docker.io' : host;
}

function lookupByHost<T>(table: Record<string, T>, registry: string): T | undefined {
  const wanted = normaliseRegistryKey(registry);
  for (const [key, value] of Object.entries(table)) {
    if (normaliseRegistryKey(key) === wanted) return value;
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function dockerConfigPath(env: Record<string, string | undefined>): string {
  return env.DOCKER_CONFIG ? path.join(env.DOCKER_CONFIG, 'config.json') : path.join(env.HOME || os.homedir(), '.docker', 'config.json');
}

/** Pure part of the Docker config lookup: parsed config.json → credential for `registry`. */
export function credentialFromDockerConfig(config: unknown, registry: string, source: string): CredentialLookup {
  const warnings: string[] = [];
  if (!isRecord(config)) return { warnings: [`${source}: not a JSON object; ignored`] };
  const helpers = isRecord(config.credHelpers) ? config.credHelpers : {};
  const helper = lookupByHost(helpers, registry);
  if (typeof helper === 'string') {
    warnings.push(`${source}: credential helper "docker-credential-${helper}" for ${registry} is not supported; pass --creds or PORTWARDEN_REGISTRY_AUTH`);
  } else if (typeof config.credsStore === 'string') {
    warnings.push(`${source}: credsStore "${config.credsStore}" is not supported; only credentials stored in the file itself are used`);
  }
  const auths = isRecord(config.auths) ? config.auths : {};
  const entry = lookupByHost(auths, registry);
  if (!isRecord(entry)) return { warnings };
  const cred: RegistryCredential = { source };
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      warnings.push(`${source}: "auth" for ${registry} is not base64 of USER:PASS; ignored`);
    } else {
      cred.username = decoded.slice(0, colon);
      cred.password = decoded.slice(colon + 1);
    }
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string' && cred.username === undefined) {
    cred.username = entry.username;
    cred.password = entry.password;
  }
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') cred.identityToken = entry.identitytoken;
  if (typeof entry.registrytoken === 'string' && entry.registrytoken !== '') cred.registryToken = entry.registrytoken;
  if (cred.username === undefined && cred.identityToken === undefined && cred.registryToken === undefined) return { warnings };
  return { credential: cred, warnings };
}

/** Resolves the credential for `registry` (user form, e.g. `docker.io`, `localhost:5000`). */
export function resolveCredential(registry: string, inputs: CredentialInputs): CredentialLookup {
  if (inputs.explicit) return { credential: { ...inputs.explicit, source: '--creds' }, warnings: [] };
  const env = inputs.env;
  const warnings: string[] = [];
  const given = inputs.byHost ? lookupByHost(inputs.byHost, registry) : undefined;
  if (given) return { credential: { ...given, source: 'per-registry credentials' }, warnings };
  const perHost = env.PORTWARDEN_REGISTRY_AUTH;
  if (perHost) {
    let table: unknown;
    try {
      table = JSON.parse(perHost);
    } catch {
      throw new UserInputError('PORTWARDEN_REGISTRY_AUTH is not valid JSON (expected {"host:port": {"username": "…", "password": "…"}})');
    }
    if (!isRecord(table)) throw new UserInputError('PORTWARDEN_REGISTRY_AUTH must be a JSON object keyed by registry host');
    const entry = lookupByHost(table, registry);
    if (entry !== undefined) {
      if (!isRecord(entry) || typeof entry.username !== 'string' || typeof entry.password !== 'string') {
        throw new UserInputError(`PORTWARDEN_REGISTRY_AUTH entry for ${registry} needs string "username" and "password"`);
      }
      return { credential: { username: entry.username, password: entry.password, source: 'PORTWARDEN_REGISTRY_AUTH' }, warnings };
    }
  }
  if (env.PORTWARDEN_REGISTRY_USERNAME !== undefined && env.PORTWARDEN_REGISTRY_USERNAME !== '') {
    return {
      credential: { username: env.PORTWARDEN_REGISTRY_USERNAME, password: env.PORTWARDEN_REGISTRY_PASSWORD ?? '', source: 'PORTWARDEN_REGISTRY_USERNAME/PASSWORD' },
      warnings,
    };
  }
  const file = inputs.dockerConfigPath ?? dockerConfigPath(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { warnings };
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    return { warnings: [...warnings, `${file}: not valid JSON; Docker credentials ignored`] };
  }
  const found = credentialFromDockerConfig(config, registry, file);
  return { ...found, warnings: [...warnings, ...found.warnings] };
}
