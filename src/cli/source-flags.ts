/** Options shared by every command that opens an image: platform, credentials, insecure registries. */
import type { Command } from 'commander';
import { collect } from './run.ts';
import type { OpenOptions } from '../image/open.ts';
import { parseCredsFlag } from '../image/registry/credentials.ts';
import type { ScanOptions } from '../scan/pipeline.ts';

export interface SourceFlags {
  platform?: string;
  creds?: string;
  insecureRegistry?: string[];
}

export function withSourceOptions<C extends Command>(cmd: C): C {
  cmd
    .option('--platform <os/arch[/variant]>', 'platform to pick from a multi-platform image (default linux/amd64)')
    .option('--creds <user:password>', 'registry credentials (else PORTWARDEN_REGISTRY_USERNAME/PASSWORD, then docker config.json)')
    .option('--insecure-registry <host[:port]>', 'registry reached over plain HTTP (repeatable; also PORTWARDEN_INSECURE_REGISTRIES)', collect, []);
  return cmd;
}

const warnOnStderr = (m: string): void => {
  process.stderr.write(`warning: ${m}\n`);
};

/** Options for `openSource` from the shared flags; warnings go to stderr. */
export function openOptionsFrom(flags: SourceFlags): OpenOptions {
  const opts: OpenOptions = { onWarning: warnOnStderr };
  if (flags.platform) opts.platform = flags.platform;
  if (flags.creds) opts.creds = parseCredsFlag(flags.creds);
  if (flags.insecureRegistry?.length) opts.insecureRegistries = flags.insecureRegistry;
  return opts;
}

/** Scan options from the shared flags; warnings go to stderr. */
export function scanOptionsFrom(flags: SourceFlags): ScanOptions {
  const { creds, insecureRegistries, platform } = openOptionsFrom(flags);
  const opts: ScanOptions = { onWarning: warnOnStderr };
  if (typeof platform === 'string') opts.platform = platform;
  if (creds || insecureRegistries) opts.registry = { ...(creds ? { creds } : {}), ...(insecureRegistries ? { insecureRegistries } : {}) };
  return opts;
}
