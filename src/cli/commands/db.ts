/**
 * `portwarden db import|update|status`: build and inspect the local advisory index.
 */
import type { Command } from 'commander';
import { action, collect } from '../run.ts';
import type { FileReport } from '../../vulndb/import.ts';

function printInvalid(files: FileReport[], out: (s: string) => void): void {
  for (const f of files) {
    if (!f.invalidCount) continue;
    out(`  ${f.file}: ${f.invalidCount} invalid record(s) skipped`);
    for (const i of f.invalid.slice(0, 10)) out(`    ${i.id ? `${i.id}: ` : ''}${i.reason}`);
    if (f.invalidCount > 10) out(`    … ${f.invalidCount - 10} more`);
  }
}

const err = (s: string): void => void process.stderr.write(`${s}\n`);
const out = (s: string): void => void process.stdout.write(`${s}\n`);

export function register(program: Command): void {
  const db = program.command('db').description('advisory database: import, update, status');

  db.command('import')
    .description('import OSV files/directories/all.zip/JSONL(.gz)/YAML and distro feeds (Debian tracker JSON, DSA/DLA lists, Alpine secdb) into the index')
    .argument('<paths...>', 'files or directories')
    .option('--db <file>', 'advisory database (default $PORTWARDEN_HOME/db/advisories.db)')
    .option('--replace', 'start from an empty index instead of merging with the existing records')
    .option('--format <text|json>', 'output format', 'text')
    .action(
      action(async (paths: string[], flags: { db?: string; replace?: boolean; format: string }) => {
        const { importAdvisories } = await import('../../vulndb/import.ts');
        const s = await importAdvisories(paths, { dbPath: flags.db, replace: Boolean(flags.replace) });
        if (flags.format === 'json') return out(JSON.stringify(s, null, 2));
        out(`imported ${s.records} record(s) from ${s.files.length} file(s) into ${s.path}`);
        out(`snapshot ${s.snapshot}, built ${s.builtAt}, ${s.advisories} advisories in the index`);
        if (s.invalid) {
          err(`${s.invalid} invalid record(s) skipped:`);
          printInvalid(s.files, err);
        }
      }),
    );

  db.command('update')
    .description('download advisory exports (base URL from PORTWARDEN_OSV_BASE_URL) and rebuild the index; by default the OSV.dev exports of the ecosystems recorded from scanned images, or all of them')
    .option('--db <file>', 'advisory database (default $PORTWARDEN_HOME/db/advisories.db)')
    .option('--ecosystem <name>', 'OSV ecosystem to fetch (repeatable), e.g. PyPI, Go, npm, Debian (Debian:12 fetches Debian)', collect, [])
    .option('--all', 'fetch OSV.dev\'s full export (every ecosystem) instead of the recorded ones')
    .option('--source <url>', 'explicit source URL (repeatable); alone, only these are fetched', collect, [])
    .option('--quiet', 'no progress lines')
    .action(
      action(async (flags: { db?: string; ecosystem: string[]; all?: boolean; source: string[]; quiet?: boolean }) => {
        const { updateDatabase } = await import('../../vulndb/update.ts');
        const r = await updateDatabase({ dbPath: flags.db, ecosystems: flags.ecosystem, all: Boolean(flags.all), sources: flags.source, log: flags.quiet ? undefined : err });
        err(`fetched: ${r.plan.reason}`);
        if (r.rebuilt) out(`updated ${r.updated.length} source(s); snapshot ${r.snapshot}, built ${r.builtAt} (${r.path})`);
        else out(`no changes; snapshot ${r.snapshot}, built ${r.builtAt} still in use (${r.path})`);
        printInvalid(r.files, err);
        for (const f of r.failed) err(`failed: ${f.url}: ${f.error}`);
        if (r.failed.length) process.exitCode = 1;
      }),
    );

  db.command('status')
    .description('show the advisory database: path, snapshot, schema, sources, records per ecosystem')
    .option('--db <file>', 'advisory database (default $PORTWARDEN_HOME/db/advisories.db)')
    .option('--format <text|json>', 'output format', 'text')
    .action(
      action(async (flags: { db?: string; format: string }) => {
        const { defaultDbPath, readDbStatus } = await import('../../vulndb/store.ts');
        const { readSeenEcosystems, seenEcosystemsPath } = await import('../../vulndb/seen-ecosystems.ts');
        const dbPath = flags.db ?? defaultDbPath();
        const s = readDbStatus(dbPath);
        const seen = readSeenEcosystems(seenEcosystemsPath(dbPath));
        if (seen.warning) err(seen.warning);
        if (flags.format === 'json') return out(JSON.stringify({ ...s, seen_ecosystems: { file: seen.file, ecosystems: seen.ecosystems } }, null, 2));
        out(`path:      ${s.path}`);
        out(`snapshot:  ${s.snapshot}`);
        out(`built at:  ${s.builtAt}`);
        out(`schema:    ${s.schemaVersion}`);
        out(`records:   ${s.advisories} (${s.withdrawn} withdrawn, kept out of matching)`);
        const last = s.sources.map((x) => x.imported_at).sort().at(-1);
        if (last) out(`last update: ${last}`);
        out('sources:');
        for (const src of s.sources) {
          const validators = [src.etag ? `etag ${src.etag}` : '', src.last_modified ? `last-modified ${src.last_modified}` : ''].filter(Boolean).join(', ');
          out(`  ${src.name}: ${src.records} record(s)${src.invalid ? `, ${src.invalid} invalid` : ''}, imported ${src.imported_at}${validators ? `, ${validators}` : ''}`);
        }
        out('advisories per ecosystem:');
        for (const e of s.ecosystems) out(`  ${e.ecosystem.padEnd(24)} ${e.advisories}`);
        out(`ecosystems recorded from scanned images (what \`db update\` fetches by default; ${seen.file}):`);
        if (seen.ecosystems.length === 0) out('  none yet (db update fetches every ecosystem)');
        for (const e of seen.ecosystems) out(`  ${e.name.padEnd(24)} seen as ${e.seen_as.join(', ')}; first ${e.first_seen}, last ${e.last_seen}`);
      }),
    );
}
