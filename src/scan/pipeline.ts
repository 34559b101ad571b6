/**
 * The scan pipeline: target → image source → layer walk (analyzers) → inventory → matcher →
 * secrets → report. The CLI, the service workers and `explain` all go through here.
 * (Being wired: the parts below land in parallel; until then these throw.)
 */
import type { Report } from '../model/report.ts';
import { PortwardenError } from '../util/errors.ts';

export interface ScanOptions {
  /** Advisory index (SQLite) path; default $PORTWARDEN_HOME/db/advisories.db. */
  dbPath?: string;
  /** `os/arch[/variant]`; default linux/amd64. */
  platform?: string;
  registry?: {
    creds?: { username: string; password: string };
    insecureRegistries?: string[];
    authByHost?: Record<string, { username: string; password: string }>;
  };
  /** Default: both. */
  scanners?: Array<'vuln' | 'secret'>;
  signal?: AbortSignal;
}

function notWired(): never {
  throw new PortwardenError('not_wired', 'scan pipeline not wired yet');
}

export async function scanTarget(_target: string, _opts: ScanOptions = {}): Promise<Report> {
  return notWired();
}

export async function resolveTargetDigest(_target: string, _opts: ScanOptions = {}): Promise<string | undefined> {
  return notWired();
}

export function rematchReport(_report: Report, _opts: Pick<ScanOptions, 'dbPath'> = {}): Report {
  return notWired();
}

export function advisorySnapshot(_dbPath?: string): string | undefined {
  return notWired();
}
