/**
 * Ignore files: Portwarden's YAML list, Trivy's plain `.trivyignore` and Trivy's YAML form.
 * Parsing is pure; applying returns a new Report with matched findings marked suppressed
 * (never removed, so reviewers still see what was waived and why).
 */
import { parse as parseYaml } from 'yaml';
import type { Report, Vulnerability } from '../model/report.ts';
import { UserInputError, errorMessage } from '../util/errors.ts';
import { summarize } from '../report/summary.ts';
import { purlCovers } from './purl-match.ts';

export interface IgnoreRule {
  id: string;
  /** Package name, or a purl (with or without version) when it starts with `pkg:`. */
  package?: string;
  purls?: string[];
  /** Trivy YAML `paths`: file paths of the vulnerable package. */
  paths?: string[];
  reason: string;
  /** Last day (UTC, inclusive) the rule applies, YYYY-MM-DD. */
  expires?: string;
  /** The ignore file this rule came from. */
  source: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim();
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'number') return String(value);
  return undefined;
}

function stringList(value: unknown, what: string, path: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new UserInputError(`${path}: ${what} must be a list of strings`, 'invalid_ignore_file');
  }
  return value as string[];
}

function ruleFromEntry(entry: unknown, index: number, path: string): IgnoreRule {
  if (typeof entry === 'string') return { id: entry.trim(), reason: '', source: path };
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new UserInputError(`${path}: entry ${index + 1} must be a mapping with an id`, 'invalid_ignore_file');
  }
  const record = entry as Record<string, unknown>;
  const id = asString(record.id);
  if (id === undefined || id === '') {
    throw new UserInputError(`${path}: entry ${index + 1} has no id`, 'invalid_ignore_file');
  }
  const expires = asString(record.expires ?? record.expired_at);
  if (expires !== undefined && (!DATE.test(expires.slice(0, 10)) || Number.isNaN(Date.parse(expires.slice(0, 10))))) {
    throw new UserInputError(`${path}: entry ${id}: expires must be YYYY-MM-DD, got ${expires}`, 'invalid_ignore_file');
  }
  const pkg = asString(record.package);
  const purls = stringList(record.purls, `entry ${id}: purls`, path);
  const paths = stringList(record.paths, `entry ${id}: paths`, path);
  return {
    id,
    ...(pkg !== undefined && pkg !== '' ? { package: pkg } : {}),
    ...(purls !== undefined ? { purls } : {}),
    ...(paths !== undefined ? { paths } : {}),
    reason: asString(record.reason ?? record.statement) ?? '',
    ...(expires !== undefined ? { expires: expires.slice(0, 10) } : {}),
    source: path,
  };
}

function parsePlainList(text: string, path: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    // Trivy accepts `CVE-1 exp:2025-01-01`; keep that so a copied .trivyignore behaves the same.
    const [id, ...options] = line.split(/\s+/);
    if (id === undefined) continue;
    const expiry = options.find((o) => o.startsWith('exp:'))?.slice(4);
    if (expiry !== undefined && !DATE.test(expiry)) {
      throw new UserInputError(`${path}: ${id}: exp: must be YYYY-MM-DD, got ${expiry}`, 'invalid_ignore_file');
    }
    const comment = /#\s*(.*)$/.exec(raw)?.[1]?.trim() ?? '';
    rules.push({ id, reason: comment, ...(expiry !== undefined ? { expires: expiry } : {}), source: path });
  }
  return rules;
}

export function parseIgnoreFile(text: string, path: string): IgnoreRule[] {
  const firstContent = text.split(/\r?\n/).find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (firstContent === undefined) return [];
  const looksYaml = /^\s*(-|vulnerabilities\s*:|ignore\s*:)/.test(firstContent);
  if (!looksYaml) return parsePlainList(text, path);
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new UserInputError(`${path}: not valid YAML: ${errorMessage(err)}`, 'invalid_ignore_file', { cause: err });
  }
  let entries: unknown;
  if (Array.isArray(doc)) entries = doc;
  else if (doc !== null && typeof doc === 'object') {
    const record = doc as Record<string, unknown>;
    entries = record.vulnerabilities ?? record.ignore ?? [];
  }
  if (!Array.isArray(entries)) {
    throw new UserInputError(`${path}: expected a list of {id, package?, reason, expires?}`, 'invalid_ignore_file');
  }
  return entries.map((entry, index) => ruleFromEntry(entry, index, path));
}

function ruleMatches(rule: IgnoreRule, vuln: Vulnerability): boolean {
  const id = rule.id.toUpperCase();
  if (vuln.id.toUpperCase() !== id && !vuln.aliases.some((a) => a.toUpperCase() === id)) return false;
  if (rule.package !== undefined) {
    if (rule.package.startsWith('pkg:')) {
      if (!purlCovers(rule.package, vuln.purl)) return false;
    } else if (rule.package !== vuln.package_name) return false;
  }
  if (rule.purls !== undefined && rule.purls.length > 0 && !rule.purls.some((p) => purlCovers(p, vuln.purl))) {
    return false;
  }
  if (rule.paths !== undefined && rule.paths.length > 0) {
    const vulnPath = (vuln.path ?? '').replace(/^\/+/, '');
    if (!rule.paths.some((p) => p.replace(/^\/+/, '') === vulnPath)) return false;
  }
  return true;
}

function isExpired(rule: IgnoreRule, now: Date): boolean {
  if (rule.expires === undefined) return false;
  // Inclusive: a rule expiring 2026-01-31 still applies for the whole of that UTC day.
  return now.getTime() >= Date.parse(`${rule.expires}T00:00:00Z`) + 86_400_000;
}

export function applyIgnoreRules(report: Report, rules: IgnoreRule[], now: Date = new Date()): Report {
  const warnings = [...report.warnings];
  const active: IgnoreRule[] = [];
  for (const rule of rules) {
    if (isExpired(rule, now)) warnings.push(`ignore rule ${rule.id} in ${rule.source} expired on ${rule.expires}; not applied`);
    else active.push(rule);
  }
  const vulnerabilities = report.vulnerabilities.map((vuln) => {
    if (vuln.suppressed !== undefined) return vuln;
    const rule = active.find((r) => ruleMatches(r, vuln));
    if (rule === undefined) return vuln;
    return {
      ...vuln,
      suppressed: { by: 'ignorefile' as const, reason: rule.reason === '' ? `ignored by ${rule.source}` : rule.reason, source: rule.source },
    };
  });
  return { ...report, vulnerabilities, summary: summarize(vulnerabilities), warnings };
}
