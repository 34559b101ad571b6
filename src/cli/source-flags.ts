/** Options shared by every command that opens an image: platform, credentials, insecure registries. */
import { InvalidArgumentError, type Command } from 'commander';
import { collect } from './run.ts';
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

export function parseCreds(value: string): { username: string; password: string } {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new InvalidArgumentError('--creds must be USER:PASSWORD');
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

/** Scan options from the shared flags; warnings go to stderr. */
export function scanOptionsFrom(flags: SourceFlags): ScanOptions {
  const opts: ScanOptions = { onWarning: (m) => process.stderr.write(`warning: ${m}\n`) };
  if (flags.platform) opts.platform = flags.platform;
  const registry: NonNullable<ScanOptions['registry']> = {};
  if (flags.creds) registry.creds = parseCreds(flags.creds);
  if (flags.insecureRegistry?.length) registry.insecureRegistries = flags.insecureRegistry;
  if (Object.keys(registry).length) opts.registry = registry;
  return opts;
}
