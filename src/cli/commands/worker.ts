/** `portwarden worker`: scan workers only, sharing a PostgreSQL store with API processes. */
import { Command } from 'commander';
import { action } from '../run.ts';
import { addStoreOptions, addWorkerOptions, configFromOptions } from '../../config/cli-options.ts';
import { UserInputError } from '../../util/errors.ts';

export function register(program: Command): void {
  const cmd = new Command('worker').description('Run scan workers only (needs --database-url: the embedded store belongs to one process)');
  addStoreOptions(cmd);
  addWorkerOptions(cmd);
  cmd.action(action(async (opts: Record<string, unknown>) => {
    // Loaded here: the service stack (fastify, pg-boss, PGlite) costs ~400 ms that other commands should not pay.
    const { installSignalHandlers, startService } = await import('../../service/server.ts');
    const cfg = configFromOptions(cmd, opts, { worker: true });
    if (!cfg.databaseUrl) throw new UserInputError('worker processes share work through PostgreSQL: give --database-url or DATABASE_URL (or run `portwarden serve`, which has embedded workers)');
    const handle = await startService(cfg, { api: false });
    installSignalHandlers(handle);
    process.stderr.write(`portwarden: worker running (${cfg.concurrency} slots)\n`);
  }));
  program.addCommand(cmd);
}
