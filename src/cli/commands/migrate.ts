/** `portwarden migrate`: applies store migrations (also run at start-up; safe under concurrency). */
import path from 'node:path';
import { Command } from 'commander';
import type { Kysely } from 'kysely';
import { action } from '../run.ts';
import { addStoreOptions, configFromOptions } from '../../config/cli-options.ts';

export function register(program: Command): void {
  const cmd = new Command('migrate').description('Apply pending store and queue migrations, then exit');
  addStoreOptions(cmd);
  cmd.action(action(async (opts: Record<string, unknown>) => {
    const cfg = configFromOptions(cmd, opts);
    // Loaded here so other commands do not pay for the store and queue modules at start-up.
    const [{ openStore }, { migrateToLatest }, { PgBossQueue }] = await Promise.all([import('../../store/database.ts'), import('../../store/migrations.ts'), import('../../queue/pgboss.ts')]);
    const store = await openStore({ ...(cfg.databaseUrl ? { databaseUrl: cfg.databaseUrl } : { dataDir: path.join(cfg.home, 'store') }), migrate: false });
    try {
      const applied = await migrateToLatest(store.db as unknown as Kysely<unknown>);
      // Starting pg-boss installs or upgrades its schema and the queue definitions.
      const queue = new PgBossQueue({ executeSql: store.executeSql, leaseSeconds: cfg.leaseSeconds, maxAttempts: cfg.maxAttempts, retryDelaySeconds: cfg.retryDelaySeconds, maintenanceSeconds: cfg.maintenanceSeconds, pollingSeconds: cfg.pollingSeconds });
      await queue.start();
      await queue.stop({ timeoutMs: 1000 });
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'store is up to date\n');
    } finally {
      await store.close();
    }
  }));
  program.addCommand(cmd);
}
