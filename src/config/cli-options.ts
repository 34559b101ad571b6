/**
 * Options shared by `serve`, `worker`, `migrate` and `token`: each maps to one key of
 * ServiceConfig (see CONFIG_KEYS and docs/configuration.md), so flags, env and file agree.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import type { ServiceConfig } from './index.ts';
import { loadConfig, stderrWarning } from './index.ts';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function addStoreOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'YAML config file (env PORTWARDEN_CONFIG)')
    .option('--home <dir>', 'data directory (env PORTWARDEN_HOME, default ~/.portwarden)')
    .option('--database-url <url>', 'PostgreSQL URL (env DATABASE_URL); default: embedded store');
}

export function addWorkerOptions(cmd: Command): Command {
  return cmd
    .option('--concurrency <n>', 'scan slots in this process (default 2)')
    .option('--lease-seconds <n>', 'job lease; longer-running jobs are retried elsewhere (default 900)')
    .option('--max-attempts <n>', 'attempts before dead-letter (default 3)')
    .option('--retry-delay-seconds <n>', 'base retry backoff (default 10)')
    .option('--maintenance-seconds <n>', 'expired-lease check interval (default 30)')
    .option('--polling-seconds <n>', 'idle polling interval (default 2)')
    .option('--shutdown-timeout-seconds <n>', 'grace period for running scans on SIGTERM (default 30)')
    .option('--allow-registry <host[:port]>', 'registry allow-list entry (repeatable)', collect, [])
    .option('--insecure-registry <host[:port]>', 'registry reached over plain HTTP (repeatable)', collect, [])
    .option('--registry-auth-file <file>', 'registry credentials, JSON/YAML {host: {username, password}}')
    .option('--db <file>', 'advisory index (default $PORTWARDEN_HOME/db/advisories.db)')
    .addOption(new Option('--db-path <file>', 'deprecated name of --db').hideHelp())
    .option('--object-store <kind>', 'where reports and SBOMs go: fs, s3 or s3://BUCKET[/PREFIX] (default fs)')
    .option('--objects-dir <dir>', 'filesystem object store directory (default $PORTWARDEN_HOME/objects)')
    .option('--s3-endpoint <url>', 'S3 API URL (default AWS: https://s3.REGION.amazonaws.com)')
    .option('--s3-region <region>', 'S3 signing region (default $AWS_REGION or us-east-1)')
    .option('--s3-bucket <name>', 'S3 bucket (must exist)')
    .option('--s3-prefix <prefix>', 'key prefix inside the bucket')
    .option('--s3-force-path-style', 'address ENDPOINT/BUCKET/KEY (MinIO, Ceph, Garage)')
    .option('--s3-credentials-file <file>', 'YAML/JSON {accessKeyId, secretAccessKey, sessionToken?}; default: environment')
    .option('--log-level <level>', 'log level (default info)');
}

const FLAG_TO_KEY: Record<string, keyof ServiceConfig> = {
  home: 'home', host: 'host', port: 'port', databaseUrl: 'databaseUrl', concurrency: 'concurrency', leaseSeconds: 'leaseSeconds',
  maxAttempts: 'maxAttempts', retryDelaySeconds: 'retryDelaySeconds', maintenanceSeconds: 'maintenanceSeconds', pollingSeconds: 'pollingSeconds',
  shutdownTimeoutSeconds: 'shutdownTimeoutSeconds', allowAnonymous: 'allowAnonymous', allowRegistry: 'allowRegistries',
  insecureRegistry: 'insecureRegistries', registryAuthFile: 'registryAuthFile', rateLimit: 'rateLimitMax',
  rateLimitWindowSeconds: 'rateLimitWindowSeconds', bodyLimit: 'bodyLimitBytes', db: 'advisoryDbPath', objectStore: 'objectStore',
  objectsDir: 'objectsDir', s3Endpoint: 's3Endpoint', s3Region: 's3Region', s3Bucket: 's3Bucket', s3Prefix: 's3Prefix',
  s3ForcePathStyle: 's3ForcePathStyle', s3CredentialsFile: 's3CredentialsFile', logLevel: 'logLevel',
};

/** Commander's parsed options → loadConfig flags (only those the user actually gave). */
export function configFromOptions(
  cmd: Command, opts: Record<string, unknown>, extra: Partial<Record<keyof ServiceConfig, unknown>> = {},
  io: { env?: NodeJS.ProcessEnv; warn?: (message: string) => void } = {},
): ServiceConfig {
  const flags: Partial<Record<keyof ServiceConfig, unknown>> & { config?: string } = {};
  for (const [name, key] of Object.entries(FLAG_TO_KEY)) {
    if (!(name in opts)) continue;
    if (cmd.getOptionValueSource(name) === 'default') continue;
    flags[key] = opts[name];
  }
  const warn = io.warn ?? stderrWarning;
  if (opts.dbPath !== undefined) {
    // `serve --db-path` predates the one name `--db` that scan, explain and db use.
    warn(flags.advisoryDbPath === undefined ? '--db-path is deprecated; use --db' : '--db-path is deprecated and ignored because --db is given');
    flags.advisoryDbPath ??= opts.dbPath;
  }
  if (typeof opts.config === 'string') flags.config = opts.config;
  return loadConfig({ flags: { ...flags, ...extra }, warn, ...(io.env ? { env: io.env } : {}) });
}
