/**
 * Service configuration: one typed object built from, in increasing precedence, built-in defaults,
 * a YAML config file, the environment and command-line flags. Every key is listed once in
 * CONFIG_KEYS so docs/configuration.md and the loader cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { UserInputError, errorMessage } from '../util/errors.ts';
import type { ObjectStoreSettings } from './object-store.ts';
import { normalizeObjectStore } from './object-store.ts';

export interface RegistryCredential { username: string; password: string }

export interface ServiceConfig extends ObjectStoreSettings {
  home: string;
  host: string;
  port: number;
  databaseUrl?: string;
  /** Run scan workers inside this process (serve); `portwarden worker` forces it on. */
  worker: boolean;
  concurrency: number;
  /** Lease (pg-boss expireInSeconds): a job not finished in this time is handed to another worker. */
  leaseSeconds: number;
  /** Total attempts before a job goes to the dead-letter list. */
  maxAttempts: number;
  retryDelaySeconds: number;
  /** How often expired leases are detected (pg-boss maintenance interval). */
  maintenanceSeconds: number;
  pollingSeconds: number;
  shutdownTimeoutSeconds: number;
  allowAnonymous?: boolean;
  allowRegistries: string[];
  insecureRegistries: string[];
  registryAuthFile?: string;
  rateLimitMax: number;
  rateLimitWindowSeconds: number;
  bodyLimitBytes: number;
  advisoryDbPath?: string;
  logLevel: string;
}

type Kind = 'string' | 'int' | 'number' | 'bool' | 'list';

interface KeySpec {
  key: keyof ServiceConfig;
  flag: string;
  env: string;
  kind: Kind;
  meaning: string;
  defaultText: string;
  /** Generic variables read, in order, when nothing else sets the key (e.g. AWS_REGION for the S3 region). */
  fallbackEnv?: readonly string[];
  /** Old names still accepted, with a deprecation warning. */
  deprecatedEnv?: readonly string[];
}

/** The one table of settings (docs/configuration.md mirrors it). */
export const CONFIG_KEYS: readonly KeySpec[] = [
  { key: 'home', flag: '--home', env: 'PORTWARDEN_HOME', kind: 'string', defaultText: '~/.portwarden', meaning: 'Data directory: embedded store, objects, advisory DB.' },
  { key: 'host', flag: '--host', env: 'PORTWARDEN_HOST', kind: 'string', defaultText: '127.0.0.1', meaning: 'Address the API binds to.' },
  { key: 'port', flag: '--port', env: 'PORTWARDEN_PORT', kind: 'int', defaultText: '8080', meaning: 'API port (0 picks a free one).' },
  { key: 'databaseUrl', flag: '--database-url', env: 'DATABASE_URL', kind: 'string', defaultText: '(embedded PGlite)', meaning: 'PostgreSQL URL for scale-out; unset uses the embedded store under $PORTWARDEN_HOME/store.' },
  { key: 'worker', flag: '--no-worker', env: 'PORTWARDEN_WORKER', kind: 'bool', defaultText: 'true', meaning: 'Run scan workers inside `serve`.' },
  { key: 'concurrency', flag: '--concurrency', env: 'PORTWARDEN_CONCURRENCY', kind: 'int', defaultText: '2', meaning: 'Scan slots per process.' },
  { key: 'leaseSeconds', flag: '--lease-seconds', env: 'PORTWARDEN_LEASE_SECONDS', kind: 'int', defaultText: '900', meaning: 'A job running longer is considered lost and retried elsewhere.' },
  { key: 'maxAttempts', flag: '--max-attempts', env: 'PORTWARDEN_MAX_ATTEMPTS', kind: 'int', defaultText: '3', meaning: 'Attempts before a scan is dead-lettered.' },
  { key: 'retryDelaySeconds', flag: '--retry-delay-seconds', env: 'PORTWARDEN_RETRY_DELAY_SECONDS', kind: 'int', defaultText: '10', meaning: 'Base delay of the exponential, jittered retry backoff.' },
  { key: 'maintenanceSeconds', flag: '--maintenance-seconds', env: 'PORTWARDEN_MAINTENANCE_SECONDS', kind: 'int', defaultText: '30', meaning: 'How often expired leases are reclaimed.' },
  { key: 'pollingSeconds', flag: '--polling-seconds', env: 'PORTWARDEN_POLLING_SECONDS', kind: 'number', defaultText: '2', meaning: 'Idle worker polling interval (≥ 0.5).' },
  { key: 'shutdownTimeoutSeconds', flag: '--shutdown-timeout-seconds', env: 'PORTWARDEN_SHUTDOWN_TIMEOUT_SECONDS', kind: 'int', defaultText: '30', meaning: 'On SIGTERM/SIGINT, time given to in-flight scans before they are released.' },
  { key: 'allowAnonymous', flag: '--allow-anonymous', env: 'PORTWARDEN_ALLOW_ANONYMOUS', kind: 'bool', defaultText: 'loopback and no tokens', meaning: 'Allow requests without a token. Default: only when bound to loopback and no token exists.' },
  { key: 'allowRegistries', flag: '--allow-registry', env: 'PORTWARDEN_ALLOW_REGISTRIES', kind: 'list', defaultText: '(any public)', meaning: 'Registry HOST[:PORT] allow-list (repeatable; env comma-separated). Listed hosts may be private addresses.' },
  { key: 'insecureRegistries', flag: '--insecure-registry', env: 'PORTWARDEN_INSECURE_REGISTRIES', kind: 'list', defaultText: '(none)', meaning: 'Registries reached over plain HTTP.' },
  { key: 'registryAuthFile', flag: '--registry-auth-file', env: 'PORTWARDEN_REGISTRY_AUTH_FILE', kind: 'string', defaultText: '(none)', meaning: 'JSON/YAML `{host: {username, password}}`; never returned or logged.' },
  { key: 'rateLimitMax', flag: '--rate-limit', env: 'PORTWARDEN_RATE_LIMIT', kind: 'int', defaultText: '600', meaning: 'Requests per window per token (or per IP when anonymous).' },
  { key: 'rateLimitWindowSeconds', flag: '--rate-limit-window-seconds', env: 'PORTWARDEN_RATE_LIMIT_WINDOW_SECONDS', kind: 'int', defaultText: '60', meaning: 'Rate-limit window.' },
  { key: 'bodyLimitBytes', flag: '--body-limit', env: 'PORTWARDEN_BODY_LIMIT', kind: 'int', defaultText: '65536', meaning: 'Largest request body; larger gets 413.' },
  { key: 'advisoryDbPath', flag: '--db', env: 'PORTWARDEN_DB', deprecatedEnv: ['PORTWARDEN_DB_PATH'], kind: 'string', defaultText: '$PORTWARDEN_HOME/db/advisories.db', meaning: 'Advisory index used by workers (the same file as `scan --db`); `--db-path` is a deprecated alias.' },
  { key: 'objectStore', flag: '--object-store', env: 'PORTWARDEN_OBJECT_STORE', kind: 'string', defaultText: 'fs', meaning: 'Where full reports and SBOMs go: `fs` (files under `--objects-dir`), `s3` (the `--s3-*` settings), or `s3://BUCKET[/PREFIX]`. Scale-out needs one store shared by every process.' },
  { key: 'objectsDir', flag: '--objects-dir', env: 'PORTWARDEN_OBJECTS_DIR', kind: 'string', defaultText: '$PORTWARDEN_HOME/objects', meaning: 'Directory of the filesystem object store.' },
  { key: 's3Endpoint', flag: '--s3-endpoint', env: 'PORTWARDEN_S3_ENDPOINT', kind: 'string', defaultText: 'https://s3.REGION.amazonaws.com', meaning: 'S3 API URL of MinIO, Ceph RGW, Garage, R2… (http or https; may end in a base path).' },
  { key: 's3Region', flag: '--s3-region', env: 'PORTWARDEN_S3_REGION', fallbackEnv: ['AWS_REGION', 'AWS_DEFAULT_REGION'], kind: 'string', defaultText: 'us-east-1', meaning: 'Signing region (R2: `auto`; Garage: its `s3_region`; MinIO: `us-east-1` unless configured).' },
  { key: 's3Bucket', flag: '--s3-bucket', env: 'PORTWARDEN_S3_BUCKET', kind: 'string', defaultText: '(required for s3)', meaning: 'Bucket for reports and SBOMs; it must exist.' },
  { key: 's3Prefix', flag: '--s3-prefix', env: 'PORTWARDEN_S3_PREFIX', kind: 'string', defaultText: '(none)', meaning: 'Key prefix, so several deployments can share a bucket.' },
  { key: 's3ForcePathStyle', flag: '--s3-force-path-style', env: 'PORTWARDEN_S3_FORCE_PATH_STYLE', kind: 'bool', defaultText: 'false', meaning: 'Address `ENDPOINT/BUCKET/KEY` instead of `BUCKET.ENDPOINT/KEY` (MinIO, Ceph and Garage usually need it; automatic for IP and localhost endpoints).' },
  { key: 's3CredentialsFile', flag: '--s3-credentials-file', env: 'PORTWARDEN_S3_CREDENTIALS_FILE', kind: 'string', defaultText: '(environment)', meaning: 'YAML/JSON `{accessKeyId, secretAccessKey, sessionToken?}`. Without it: `PORTWARDEN_S3_ACCESS_KEY_ID`/`_SECRET_ACCESS_KEY`/`_SESSION_TOKEN`, then `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`. Never logged or returned.' },
  { key: 'logLevel', flag: '--log-level', env: 'PORTWARDEN_LOG_LEVEL', kind: 'string', defaultText: 'info', meaning: 'pino level: fatal, error, warn, info, debug, trace, silent.' },
];

export const CONFIG_ENV_FILE = 'PORTWARDEN_CONFIG';

function defaults(home: string): ServiceConfig {
  return {
    home,
    host: '127.0.0.1',
    port: 8080,
    worker: true,
    concurrency: 2,
    leaseSeconds: 900,
    maxAttempts: 3,
    retryDelaySeconds: 10,
    maintenanceSeconds: 30,
    pollingSeconds: 2,
    shutdownTimeoutSeconds: 30,
    allowRegistries: [],
    insecureRegistries: [],
    rateLimitMax: 600,
    rateLimitWindowSeconds: 60,
    bodyLimitBytes: 65536,
    objectStore: 'fs',
    objectsDir: path.join(home, 'objects'),
    s3Region: 'us-east-1',
    s3Prefix: '',
    s3ForcePathStyle: false,
    logLevel: 'info',
  };
}

function coerce(spec: KeySpec, raw: unknown, origin: string): unknown {
  const where = `${origin} ${spec.key}`;
  switch (spec.kind) {
    case 'string':
      if (typeof raw !== 'string' || raw === '') throw new UserInputError(`${where}: expected a non-empty string`);
      return raw;
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n) || n < 0) throw new UserInputError(`${where}: expected a non-negative integer, got ${JSON.stringify(raw)}`);
      return n;
    }
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
      if (!Number.isFinite(n) || n < 0) throw new UserInputError(`${where}: expected a non-negative number, got ${JSON.stringify(raw)}`);
      return n;
    }
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string' && /^(1|true|yes|on)$/i.test(raw)) return true;
      if (typeof raw === 'string' && /^(0|false|no|off)$/i.test(raw)) return false;
      throw new UserInputError(`${where}: expected true or false, got ${JSON.stringify(raw)}`);
    case 'list':
      if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) return raw.map((x) => x.trim()).filter(Boolean);
      if (typeof raw === 'string') return raw.split(',').map((x) => x.trim()).filter(Boolean);
      throw new UserInputError(`${where}: expected a list of strings`);
  }
}

/** Parses a YAML config file's text. Unknown keys are errors so typos do not silently fall back to defaults. */
export function parseConfigFile(text: string, file: string): Partial<ServiceConfig> {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new UserInputError(`config file ${file}: invalid YAML: ${errorMessage(err)}`);
  }
  if (doc == null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new UserInputError(`config file ${file}: expected a mapping of settings`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const spec = CONFIG_KEYS.find((s) => s.key === k);
    if (!spec) throw new UserInputError(`config file ${file}: unknown setting "${k}" (see docs/configuration.md)`);
    out[k] = coerce(spec, v, `config file ${file}:`);
  }
  return out as Partial<ServiceConfig>;
}

export interface LoadConfigInput {
  /** Flag values already parsed by commander, keyed like ServiceConfig; undefined means not given. */
  flags?: Partial<Record<keyof ServiceConfig, unknown>> & { config?: string };
  env?: NodeJS.ProcessEnv;
  readFile?: (file: string) => string;
  /** Deprecations and ignored settings; default: one line on stderr. */
  warn?: (message: string) => void;
}

export function stderrWarning(message: string): void {
  process.stderr.write(`portwarden: warning: ${message}\n`);
}

/** The environment value of a setting: its own variable, then deprecated names (with a warning). */
function envValue(spec: KeySpec, env: NodeJS.ProcessEnv, warn: (m: string) => void): { name: string; raw: string } | undefined {
  const present = (name: string) => env[name] !== undefined && env[name] !== '';
  if (present(spec.env)) return { name: spec.env, raw: env[spec.env]! };
  for (const name of spec.deprecatedEnv ?? []) {
    if (!present(name)) continue;
    warn(`${name} is deprecated; use ${spec.env}`);
    return { name, raw: env[name]! };
  }
  return undefined;
}

export function loadConfig(input: LoadConfigInput = {}): ServiceConfig {
  const env = input.env ?? process.env;
  const flags = input.flags ?? {};
  const warn = input.warn ?? stderrWarning;
  const readFile = input.readFile ?? ((f: string) => readFileSync(f, 'utf8'));
  const configFile = flags.config ?? env[CONFIG_ENV_FILE];
  let fromFile: Partial<ServiceConfig> = {};
  if (configFile) {
    let text: string;
    try {
      text = readFile(configFile);
    } catch (err) {
      throw new UserInputError(`config file ${configFile}: cannot read: ${errorMessage(err)}`);
    }
    fromFile = parseConfigFile(text, configFile);
  }
  const layered: Record<string, unknown> = { ...fromFile };
  for (const spec of CONFIG_KEYS) {
    const found = envValue(spec, env, warn);
    if (found) layered[spec.key] = coerce(spec, found.raw, `environment ${found.name}:`);
  }
  for (const spec of CONFIG_KEYS) {
    const raw = flags[spec.key];
    if (raw === undefined) continue;
    if (spec.kind === 'list' && Array.isArray(raw) && raw.length === 0) continue;
    layered[spec.key] = coerce(spec, raw, `flag ${spec.flag}:`);
  }
  // Generic variables (AWS_REGION) only fill what neither flag, our environment nor the file set.
  for (const spec of CONFIG_KEYS) {
    if (layered[spec.key] !== undefined) continue;
    const name = spec.fallbackEnv?.find((n) => env[n] !== undefined && env[n] !== '');
    if (name) layered[spec.key] = coerce(spec, env[name], `environment ${name}:`);
  }
  const home = typeof layered.home === 'string' ? path.resolve(layered.home) : path.join(os.homedir(), '.portwarden');
  const cfg: ServiceConfig = { ...defaults(home), ...(layered as Partial<ServiceConfig>), home };
  if (typeof layered.objectsDir !== 'string') cfg.objectsDir = path.join(home, 'objects');
  validateConfig(cfg);
  return normalizeObjectStore(cfg, new Set(Object.keys(layered)), warn);
}

function validateConfig(cfg: ServiceConfig): void {
  if (cfg.port > 65535) throw new UserInputError(`port ${cfg.port} is out of range`);
  if (cfg.concurrency < 1 || cfg.concurrency > 256) throw new UserInputError('concurrency must be between 1 and 256');
  if (cfg.maxAttempts < 1 || cfg.maxAttempts > 100) throw new UserInputError('max-attempts must be between 1 and 100');
  if (cfg.leaseSeconds < 1) throw new UserInputError('lease-seconds must be at least 1');
  if (cfg.maintenanceSeconds < 1) throw new UserInputError('maintenance-seconds must be at least 1');
  if (cfg.pollingSeconds < 0.5) throw new UserInputError('polling-seconds must be at least 0.5');
  if (cfg.bodyLimitBytes < 1024) throw new UserInputError('body-limit must be at least 1024 bytes');
  if (cfg.rateLimitWindowSeconds < 1) throw new UserInputError('rate-limit-window-seconds must be at least 1');
  if (cfg.databaseUrl && !/^postgres(ql)?:\/\//.test(cfg.databaseUrl)) throw new UserInputError('database-url must start with postgres:// or postgresql://');
}

/** Registry credentials file: `{ "host[:port]": { "username": "...", "password": "..." } }` as JSON or YAML. */
export function parseRegistryAuth(text: string, file: string): Record<string, RegistryCredential> {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new UserInputError(`registry auth file ${file}: invalid JSON/YAML: ${errorMessage(err)}`);
  }
  if (doc == null || typeof doc !== 'object' || Array.isArray(doc)) throw new UserInputError(`registry auth file ${file}: expected a mapping host → {username, password}`);
  const out: Record<string, RegistryCredential> = {};
  for (const [host, v] of Object.entries(doc as Record<string, unknown>)) {
    const rec = v as { username?: unknown; password?: unknown } | null;
    if (!rec || typeof rec.username !== 'string' || typeof rec.password !== 'string') {
      throw new UserInputError(`registry auth file ${file}: entry "${host}" needs string username and password`);
    }
    out[host.toLowerCase()] = { username: rec.username, password: rec.password };
  }
  return out;
}

export function loadRegistryAuth(cfg: ServiceConfig): Record<string, RegistryCredential> {
  if (!cfg.registryAuthFile) return {};
  let text: string;
  try {
    text = readFileSync(cfg.registryAuthFile, 'utf8');
  } catch (err) {
    throw new UserInputError(`registry auth file ${cfg.registryAuthFile}: cannot read: ${errorMessage(err)}`);
  }
  return parseRegistryAuth(text, cfg.registryAuthFile);
}

export function advisoryDbPath(cfg: ServiceConfig): string {
  return cfg.advisoryDbPath ?? path.join(cfg.home, 'db', 'advisories.db');
}
