/**
 * Options shared by `serve`, `worker`, `migrate` and `token`: each maps to one key of
 * ServiceConfig (see CONFIG_KEYS and docs/configuration.md), so flags, env and file agree.
 */
import type { Command } from 'commander';
import type { ServiceConfig } from './index.ts';
import { loadConfig } from './index.ts';

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
    .option('--db-path <file>', 'advisory index (default $PORTWARDEN_HOME/db/advisories.db)')
    .option('--objects-dir <dir>', 'report/SBOM object store (default $PORTWARDEN_HOME/objects)')
    .option('--log-level <level>', 'log level (default info)');
}

const FLAG_TO_KEY: Record<string, keyof ServiceConfig> = {
  home: 'home', host: 'host', port: 'port', databaseUrl: 'databaseUrl', concurrency: 'concurrency', leaseSeconds: 'leaseSeconds',
  maxAttempts: 'maxAttempts', retryDelaySeconds: 'retryDelaySeconds', maintenanceSeconds: 'maintenanceSeconds', pollingSeconds: 'pollingSeconds',
  shutdownTimeoutSeconds: 'shutdownTimeoutSeconds', allowAnonymous: 'allowAnonymous', allowRegistry: 'allowRegistries',
  insecureRegistry: 'insecureRegistries', registryAuthFile: 'registryAuthFile', rateLimit: 'rateLimitMax',
  rateLimitWindowSeconds: 'rateLimitWindowSeconds', bodyLimit: 'bodyLimitBytes', dbPath: 'advisoryDbPath', objectsDir: 'objectsDir', logLevel: 'logLevel',
};

/** Commander's parsed options → loadConfig flags (only those the user actually gave). */
export function configFromOptions(cmd: Command, opts: Record<string, unknown>, extra: Partial<Record<keyof ServiceConfig, unknown>> = {}): ServiceConfig {
  const flags: Partial<Record<keyof ServiceConfig, unknown>> & { config?: string } = {};
  for (const [name, key] of Object.entries(FLAG_TO_KEY)) {
    if (!(name in opts)) continue;
    if (cmd.getOptionValueSource(name) === 'default') continue;
    flags[key] = opts[name];
  }
  if (typeof opts.config === 'string') flags.config = opts.config;
  return loadConfig({ flags: { ...flags, ...extra } });
}
