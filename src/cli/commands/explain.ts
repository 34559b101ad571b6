/**
 * `portwarden explain TARGET ID`: why a finding is (or is not) reported — for every package in the
 * target that an advisory naming ID covers: the advisory, the affected range, the comparisons made
 * and the verdict. No finding without evidence.
 */
import type { Command } from 'commander';
import { action } from '../run.ts';
import { scanOptionsFrom, withSourceOptions, type SourceFlags } from '../source-flags.ts';
import type { ExplainResult } from '../../matcher/index.ts';
import { loadScanner } from '../lazy.ts';
import { UserInputError } from '../../util/errors.ts';

interface ExplainFlags extends SourceFlags {
  db?: string;
  format: 'text' | 'json';
  package?: string;
}

export function formatExplanation(id: string, results: ExplainResult[]): string {
  if (results.length === 0) return `${id}: no package in the target is named by an advisory for ${id}\n`;
  const out: string[] = [];
  for (const r of results) {
    const src = r.package.source && r.package.source.name !== r.package.name ? ` (source ${r.package.source.name} ${r.package.source.version})` : '';
    out.push(`${r.package.name} ${r.package.version} [${r.package.ecosystem}]${src}`);
    if (r.query) out.push(`  looked up as ${r.query.ecosystem} / ${r.query.name} ${r.query.version} (${r.query.via} package)`);
    for (const c of r.candidates) {
      const verdict = c.affected ? `AFFECTED (${c.status}${c.fixed_version ? `, fixed in ${c.fixed_version}` : ''})` : c.withdrawn ? `withdrawn ${c.withdrawn}` : 'not affected';
      out.push(`  ${c.advisory}${c.aliases.length ? ` (aliases: ${c.aliases.join(', ')})` : ''}: ${verdict}`);
      out.push(`    range ${c.evidence.range}   scheme ${c.evidence.scheme}, confidence ${c.evidence.confidence}`);
      for (const cmp of c.evidence.comparisons) out.push(`    ${cmp}`);
      for (const p of c.problems) out.push(`    note: ${p}`);
    }
  }
  return `${out.join('\n')}\n`;
}

export function register(program: Command): void {
  const cmd = program
    .command('explain')
    .description('explain why a vulnerability ID is or is not reported for a target: package, advisory range, comparisons')
    .argument('<target>', 'image or directory (same targets as `scan`)')
    .argument('<id>', 'vulnerability id or alias (CVE-…, GHSA-…, DSA-…, GO-…)')
    .option('--db <file>', 'advisory database (default $PORTWARDEN_HOME/db/advisories.db)')
    .option('--package <name>', 'only this package')
    .option('--format <text|json>', 'output format', 'text');
  withSourceOptions(cmd).action(
    action(async (target: string, id: string, flags: ExplainFlags) => {
      if (flags.format !== 'text' && flags.format !== 'json') throw new UserInputError('--format must be text or json');
      const { inventoryTarget, openIndex, explainMatch } = await loadScanner();
      const index = openIndex(flags.db);
      try {
        const report = await inventoryTarget(target, { ...scanOptionsFrom(flags), scanners: ['vuln'] });
        const results = report.packages
          .filter((p) => !flags.package || p.name === flags.package)
          .map((p) => explainMatch(p, report.os, index, id))
          .filter((r) => r.candidates.length > 0);
        process.stdout.write(flags.format === 'json' ? `${JSON.stringify({ id, target, snapshot: index.snapshot, results }, null, 2)}\n` : formatExplanation(id, results));
      } finally {
        index.close();
      }
    }),
  );
}
