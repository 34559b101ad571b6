/** `portwarden token create|list|revoke`: API tokens (the secret is printed once, stored hashed). */
import path from 'node:path';
import { Command } from 'commander';
import { action } from '../run.ts';
import { addStoreOptions, configFromOptions } from '../../config/cli-options.ts';
import type { StoreHandle } from '../../store/database.ts';
import { UserInputError } from '../../util/errors.ts';

type TokenStore = typeof import('../../store/tokens.ts');
const loadTokens = (): Promise<TokenStore> => import('../../store/tokens.ts');

async function withStore(cmd: Command, opts: Record<string, unknown>, fn: (store: StoreHandle) => Promise<void>): Promise<void> {
  const cfg = configFromOptions(cmd, opts);
  // Loaded here so other commands do not pay for the store modules at start-up.
  const { openStore } = await import('../../store/database.ts');
  const store = await openStore(cfg.databaseUrl ? { databaseUrl: cfg.databaseUrl } : { dataDir: path.join(cfg.home, 'store') });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

export function register(program: Command): void {
  const token = new Command('token').description('Manage API tokens');
  const create = addStoreOptions(new Command('create'))
    .description('Create a token and print it once')
    .requiredOption('--name <name>', 'token name (unique)')
    .option('--scope <scopes>', 'comma-separated: scan:read, scan:write, admin', 'scan:read,scan:write');
  create.action(action(async (opts: Record<string, unknown>) => {
    const { createToken, parseScopes } = await loadTokens();
    const scopes = parseScopes(String(opts.scope));
    await withStore(create, opts, async (store) => {
      const t = await createToken(store.db, String(opts.name), scopes);
      process.stdout.write(`${t.token}\n`);
      process.stderr.write(`token "${t.name}" created with scopes ${t.scopes.join(',')}; it is not shown again\n`);
    });
  }));
  const list = addStoreOptions(new Command('list')).description('List tokens (names and scopes, never secrets)');
  list.action(action(async (opts: Record<string, unknown>) => {
    const { listTokens } = await loadTokens();
    await withStore(list, opts, async (store) => {
      for (const t of await listTokens(store.db)) {
        process.stdout.write(`${t.name}\t${t.scopes}\t${t.created_at.toISOString()}${t.revoked_at ? `\trevoked ${t.revoked_at.toISOString()}` : ''}\n`);
      }
    });
  }));
  const revoke = addStoreOptions(new Command('revoke')).description('Revoke a token by name').argument('<name>');
  revoke.action(action(async (name: string, opts: Record<string, unknown>) => {
    const { revokeToken } = await loadTokens();
    await withStore(revoke, opts, async (store) => {
      if (!(await revokeToken(store.db, name))) throw new UserInputError(`no active token named "${name}"`);
      process.stderr.write(`token "${name}" revoked\n`);
    });
  }));
  token.addCommand(create).addCommand(list).addCommand(revoke);
  program.addCommand(token);
}
