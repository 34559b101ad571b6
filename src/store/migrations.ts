/**
 * Versioned migrations, applied with Kysely's Migrator. On PostgreSQL the migrator serialises
 * concurrent start-ups with an advisory lock, so many processes may call migrateToLatest at once.
 * Migrations are append-only: never edit a released one, add the next.
 */
import { Migrator, sql } from 'kysely';
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { PortwardenError } from '../util/errors.ts';

const m0001: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createTable('scans')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('platform', 'text')
      .addColumn('digest', 'text')
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('queued','scanning','completed','failed')`))
      .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('error', 'text')
      .addColumn('dead_lettered_at', 'timestamptz')
      .addColumn('job_id', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
      .addColumn('started_at', 'timestamptz')
      .addColumn('completed_at', 'timestamptz')
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
      .addColumn('critical', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('high', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('medium', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('low', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('unknown', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('secrets', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('advisory_snapshot', 'text')
      .addColumn('report_key', 'text')
      .addColumn('result_source', 'text')
      .addColumn('requested_by', 'text')
      .execute();
    // Listing pages walk (created_at, id) descending; the other indexes serve the filters.
    await db.schema.createIndex('scans_created_idx').on('scans').columns(['created_at desc', 'id desc']).execute();
    await db.schema.createIndex('scans_status_idx').on('scans').columns(['status', 'created_at desc']).execute();
    await db.schema.createIndex('scans_target_idx').on('scans').columns(['target', 'created_at desc']).execute();
    await db.schema.createIndex('scans_digest_idx').on('scans').columns(['digest', 'created_at desc']).execute();
    await db.schema.createIndex('scans_dead_idx').on('scans').column('dead_lettered_at').where(sql.ref('dead_lettered_at'), 'is not', null).execute();

    await db.schema.createTable('images')
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('platform', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('latest_scan_id', 'uuid', (c) => c.notNull())
      .addColumn('report_key', 'text', (c) => c.notNull())
      .addColumn('sbom_key', 'text', (c) => c.notNull())
      .addColumn('advisory_snapshot', 'text')
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
      .addPrimaryKeyConstraint('images_pk', ['digest', 'platform'])
      .execute();

    await db.schema.createTable('findings')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('scan_id', 'uuid', (c) => c.notNull().references('scans.id').onDelete('cascade'))
      .addColumn('vuln_id', 'text', (c) => c.notNull())
      .addColumn('cve_id', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('package_name', 'text', (c) => c.notNull())
      .addColumn('installed_version', 'text', (c) => c.notNull())
      .addColumn('fixed_version', 'text')
      .addColumn('ecosystem', 'text', (c) => c.notNull())
      .addColumn('purl', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addUniqueConstraint('findings_unique', ['scan_id', 'vuln_id', 'package_name', 'installed_version', 'purl'])
      .execute();
    await db.schema.createIndex('findings_vuln_idx').on('findings').column('vuln_id').execute();
    await db.schema.createIndex('findings_package_idx').on('findings').columns(['package_name', 'installed_version']).execute();

    await db.schema.createTable('digest_leases')
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('platform', 'text', (c) => c.notNull())
      .addColumn('scan_id', 'uuid', (c) => c.notNull())
      .addColumn('lease_until', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('digest_leases_pk', ['digest', 'platform'])
      .execute();

    await db.schema.createTable('api_tokens')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
      .addColumn('last_used_at', 'timestamptz')
      .addColumn('revoked_at', 'timestamptz')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of ['api_tokens', 'digest_leases', 'findings', 'images', 'scans']) await db.schema.dropTable(t).ifExists().execute();
  },
};

export const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': m0001,
};

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/** Applies pending migrations; returns the names applied now (empty when already current). */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticProvider(), migrationTableName: 'portwarden_migration', migrationLockTableName: 'portwarden_migration_lock' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new PortwardenError('migration_failed', `store migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
