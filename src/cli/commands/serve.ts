/** `portwarden serve`: API + dashboard + embedded workers in one process. */
import { Command } from 'commander';
import { action } from '../run.ts';
import { addStoreOptions, addWorkerOptions, configFromOptions } from '../../config/cli-options.ts';

export function register(program: Command): void {
  const cmd = new Command('serve')
    .description('Run the scan service: REST API, dashboard and scan workers (embedded store unless --database-url)')
    .option('--host <host>', 'bind address (default 127.0.0.1)')
    .option('--port <port>', 'port (default 8080)')
    .option('--no-worker', 'API only; run workers elsewhere with `portwarden worker`')
    .option('--allow-anonymous', 'allow requests without a token even when not bound to loopback')
    .option('--rate-limit <n>', 'requests per window per token/IP (default 600)')
    .option('--rate-limit-window-seconds <n>', 'rate-limit window (default 60)')
    .option('--body-limit <bytes>', 'largest request body (default 65536)');
  addStoreOptions(cmd);
  addWorkerOptions(cmd);
  cmd.action(action(async (opts: Record<string, unknown>) => {
    // Loaded here: the service stack (fastify, pg-boss, PGlite) costs ~400 ms that other commands should not pay.
    const { installSignalHandlers, startService } = await import('../../service/server.ts');
    const extra: Record<string, unknown> = {};
    if (cmd.getOptionValueSource('worker') === 'cli') extra.worker = opts.worker;
    const cfg = configFromOptions(cmd, opts, extra);
    const handle = await startService(cfg, { api: true });
    installSignalHandlers(handle);
    process.stderr.write(`portwarden: API on ${handle.url} (store: ${handle.store.kind}${cfg.worker ? `, ${cfg.concurrency} worker slots` : ', no workers'})\n`);
  }));
  program.addCommand(cmd);
}
