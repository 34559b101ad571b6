/** Runs the real CLI (`bin/portwarden.js`) in a child process and returns its exit code and output. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './shared-data.ts';

const run = promisify(execFile);
export const PORTWARDEN_BIN = path.join(REPO_ROOT, 'bin/portwarden.js');

export interface CliResult { code: number; stdout: string; stderr: string }

/** `env` is added to this process's environment, minus the variables whose names match `dropEnv`. */
export async function runCli(args: string[], env: Record<string, string> = {}, opts: { dropEnv?: RegExp } = {}): Promise<CliResult> {
  const base = opts.dropEnv ? Object.fromEntries(Object.entries(process.env).filter(([k]) => !opts.dropEnv!.test(k))) : process.env;
  try {
    const r = await run(process.execPath, [PORTWARDEN_BIN, ...args], { env: { ...base, ...env }, timeout: 60000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
