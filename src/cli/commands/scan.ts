/**
 * `portwarden scan TARGET` and `portwarden sbom TARGET`: the scanner from the command line.
 * Exit codes: 0, or --exit-code N when unsuppressed findings remain after filtering; 1 on failure;
 * 2 on invalid input.
 */
import { writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { action, collect } from '../run.ts';
import { scanOptionsFrom, withSourceOptions, type SourceFlags } from '../source-flags.ts';
import { REPORT_FORMATS, type ReportFormat } from '../../report/formats.ts';
import { SEVERITIES, type Report, type Severity } from '../../model/report.ts';
import type { PostProcessOptions } from '../../scan/postprocess.ts';
import { loadScanner } from '../lazy.ts';

interface ScanFlags extends SourceFlags {
  format: string;
  output?: string;
  db?: string;
  severity?: string;
  ignoreUnfixed?: boolean;
  ignorefile?: string;
  vex: string[];
  exitCode: string;
  scanners: string;
  secretConfig?: string;
  showSuppressed?: boolean;
}

function parseFormat(value: string, allowed: readonly string[]): ReportFormat {
  if (!allowed.includes(value)) throw new InvalidArgumentError(`unknown format ${JSON.stringify(value)}; use one of ${allowed.join(', ')}`);
  return value as ReportFormat;
}

export function parseSeverities(value: string): Severity[] {
  const list = value.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  for (const s of list) if (!SEVERITIES.includes(s as Severity)) throw new InvalidArgumentError(`unknown severity ${JSON.stringify(s)}; use ${SEVERITIES.join(',')}`);
  return list as Severity[];
}

function parseScanners(value: string): Array<'vuln' | 'secret'> {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of list) if (s !== 'vuln' && s !== 'secret') throw new InvalidArgumentError(`unknown scanner ${JSON.stringify(s)}; use vuln,secret`);
  return list as Array<'vuln' | 'secret'>;
}

function write(text: string, output: string | undefined): void {
  if (output) writeFileSync(output, text);
  else process.stdout.write(text);
}

export function register(program: Command): void {
  const scan = program
    .command('scan')
    .description('scan an image, directory or SBOM for vulnerabilities and secrets')
    .argument('<target>', 'REGISTRY/REPO[:TAG|@DIGEST], oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:TAG], dir:PATH, sbom:FILE')
    .option('-f, --format <format>', `report format: ${REPORT_FORMATS.join('|')}`, 'table')
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .option('--db <file>', 'advisory database (default $PORTWARDEN_HOME/db/advisories.db)')
    .option('--severity <list>', 'only report these severities (comma-separated: CRITICAL,HIGH,MEDIUM,LOW,UNKNOWN)')
    .option('--ignore-unfixed', 'hide vulnerabilities that have no fixed version yet')
    .option('--ignorefile <file>', 'YAML ignore rules (id, package, reason, expires) or a plain list of ids')
    .option('--vex <file>', 'OpenVEX document whose not_affected/fixed statements suppress findings (repeatable)', collect, [])
    .option('--exit-code <n>', 'exit with this code when unsuppressed findings remain', '0')
    .option('--scanners <list>', 'what to look for: vuln,secret', 'vuln,secret')
    .option('--secret-config <file>', 'secret rules: Portwarden YAML or a gitleaks .toml')
    .option('--show-suppressed', 'list suppressed findings in the table output');
  withSourceOptions(scan).action(
    action(async (target: string, flags: ScanFlags) => {
      const format = parseFormat(flags.format, REPORT_FORMATS);
      const exitCode = Number(flags.exitCode);
      if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) throw new InvalidArgumentError('--exit-code must be an integer 0-255');
      const post: PostProcessOptions = { vex: flags.vex };
      if (flags.severity) post.severities = parseSeverities(flags.severity);
      if (flags.ignoreUnfixed) post.ignoreUnfixed = true;
      if (flags.ignorefile) post.ignorefile = flags.ignorefile;
      const opts = { ...scanOptionsFrom(flags), scanners: parseScanners(flags.scanners) };
      if (flags.db) opts.dbPath = flags.db;
      if (flags.secretConfig) opts.secretConfig = flags.secretConfig;
      const { scanTarget, seenEcosystemsPath, postProcess, renderReport } = await loadScanner();
      opts.seenEcosystemsFile = seenEcosystemsPath(opts.dbPath);
      const raw: Report = await scanTarget(target, opts);
      const { report, failing } = postProcess(raw, post);
      write(renderReport(report, format, { color: !flags.output && process.stdout.isTTY, showSuppressed: Boolean(flags.showSuppressed) }), flags.output);
      if (failing && exitCode) process.exitCode = exitCode;
    }),
  );

  const sbom = program
    .command('sbom')
    .description('write an SBOM (software bill of materials) of an image or directory')
    .argument('<target>', 'same targets as `scan`')
    .option('-f, --format <format>', 'cyclonedx-json|spdx-json|json', 'cyclonedx-json')
    .option('-o, --output <file>', 'write to a file instead of standard output');
  withSourceOptions(sbom).action(
    action(async (target: string, flags: SourceFlags & { format: string; output?: string }) => {
      const format = parseFormat(flags.format, ['cyclonedx-json', 'spdx-json', 'json']);
      const { inventoryTarget, seenEcosystemsPath, renderReport } = await loadScanner();
      const report = await inventoryTarget(target, { ...scanOptionsFrom(flags), scanners: ['vuln'], seenEcosystemsFile: seenEcosystemsPath() });
      write(renderReport(report, format), flags.output);
    }),
  );
}
