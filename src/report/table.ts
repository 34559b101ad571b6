/**
 * Human-readable table, hand-laid so no line exceeds the terminal width: widths are computed on
 * plain text and colour codes are added afterwards, so they never count towards the width.
 */
import picocolors from 'picocolors';
import type { Report, Severity, SecretFinding, Vulnerability } from '../model/report.ts';
import { SEVERITIES } from '../model/report.ts';
import type { RenderOptions } from './index.ts';
import { summarize } from './summary.ts';

type Paint = (s: string) => string;

// The caller decided colour (`--color`, TTY detection); picocolors' own detection must not override it.
const pc = picocolors.createColors(true);

function clean(text: string): string {
  // Control characters from hostile advisory text would move the cursor and break the layout.
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
}

/** Terminal columns of one code point: wide East Asian and emoji take two, combining marks none. */
export function columnsOf(codePoint: number): number {
  if ((codePoint >= 0x300 && codePoint <= 0x36f) || (codePoint >= 0x200b && codePoint <= 0x200f) || (codePoint >= 0xfe00 && codePoint <= 0xfe0f)) return 0;
  if (
    (codePoint >= 0x1100 && codePoint <= 0x115f) || (codePoint >= 0x2e80 && codePoint <= 0xa4cf) || (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) || (codePoint >= 0xfe30 && codePoint <= 0xfe4f) || (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) || (codePoint >= 0x1f300 && codePoint <= 0x1faff) || (codePoint >= 0x20000 && codePoint <= 0x3fffd)
  ) return 2;
  return 1;
}

export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += columnsOf(ch.codePointAt(0) ?? 0);
  return width;
}

export function fit(text: string, width: number): string {
  const cleaned = clean(text);
  if (width <= 0) return '';
  const total = displayWidth(cleaned);
  if (total <= width) return cleaned + ' '.repeat(width - total);
  let out = '';
  let used = 0;
  for (const ch of cleaned) {
    const w = columnsOf(ch.codePointAt(0) ?? 0);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…${' '.repeat(width - 1 - used)}`;
}

function severityPaint(severity: Severity, color: boolean): Paint {
  if (!color) return (s) => s;
  switch (severity) {
    case 'CRITICAL': return (s) => pc.bold(pc.red(s));
    case 'HIGH': return pc.red;
    case 'MEDIUM': return pc.yellow;
    case 'LOW': return pc.blue;
    default: return pc.gray;
  }
}

const SEVERITY_RANK = new Map<Severity, number>(SEVERITIES.map((s, i) => [s, i]));

function compareFindings(a: Vulnerability, b: Vulnerability): number {
  return (SEVERITY_RANK.get(a.severity) ?? 9) - (SEVERITY_RANK.get(b.severity) ?? 9) || a.id.localeCompare(b.id);
}

function findingRows(vulns: Vulnerability[], width: number, color: boolean, suppressed: boolean): string[] {
  const groups = new Map<string, Vulnerability[]>();
  for (const v of vulns) {
    const key = `${v.package_name}\u0000${v.installed_version}\u0000${v.purl}`;
    const list = groups.get(key);
    if (list) list.push(v);
    else groups.set(key, [v]);
  }
  const idWidth = 20, sevWidth = 8, statusWidth = 12;
  const fixedWidth = Math.max(8, Math.floor((width - idWidth - sevWidth - statusWidth - 2 - 4) / 3));
  const titleWidth = Math.max(0, width - 2 - idWidth - sevWidth - statusWidth - fixedWidth - 4);
  const lines: string[] = [];
  const keys = [...groups.keys()].sort();
  for (const key of keys) {
    const list = (groups.get(key) ?? []).sort(compareFindings);
    const first = list[0];
    if (first === undefined) continue;
    const head = fit(`${first.package_name} ${first.installed_version}${first.ecosystem ? ` (${first.ecosystem})` : ''}`, width).trimEnd();
    lines.push(color ? pc.bold(head) : head);
    for (const v of list) {
      const paint = severityPaint(v.severity, color);
      const last = suppressed ? `suppressed (${v.suppressed?.by ?? ''}): ${v.suppressed?.reason ?? ''}` : v.title || v.description;
      const row = ['  ' + fit(v.id, idWidth), paint(fit(v.severity, sevWidth)), fit(v.status, statusWidth), fit(v.fixed_version ?? '', fixedWidth), fit(last, titleWidth)];
      lines.push(row.join(' ').trimEnd());
    }
  }
  return lines;
}

function secretRows(secrets: SecretFinding[], width: number, color: boolean): string[] {
  const sevWidth = 8, ruleWidth = 22;
  const pathWidth = Math.max(0, Math.floor((width - sevWidth - ruleWidth - 3) * 0.6));
  const matchWidth = Math.max(0, width - sevWidth - ruleWidth - pathWidth - 3);
  const sorted = [...secrets].sort((a, b) => a.path.localeCompare(b.path) || (a.line ?? 0) - (b.line ?? 0) || a.rule_id.localeCompare(b.rule_id));
  return sorted.map((s) => {
    const where = `${s.path}${s.line !== undefined ? `:${s.line}` : ''}${s.deleted ? ' (deleted)' : ''}`;
    return [severityPaint(s.severity, color)(fit(s.severity, sevWidth)), fit(s.rule_id, ruleWidth), fit(where, pathWidth), fit(s.match, matchWidth)].join(' ').trimEnd();
  });
}

export function renderTable(report: Report, opts: RenderOptions = {}): string {
  const width = Math.max(60, opts.width ?? 100);
  const color = opts.color === true;
  const out: string[] = [];
  const line = (text: string): void => {
    out.push(fit(text, width).trimEnd());
  };
  line(`Target: ${report.target}`);
  if (report.digest) line(`Digest: ${report.digest}`);
  if (report.os) line(`OS: ${report.os.name || `${report.os.family} ${report.os.version}`}`);
  if (report.db) line(`Advisory DB: ${report.db.snapshot}`);
  const summary = summarize(report.vulnerabilities);
  line(`Total: ${summary.total} (CRITICAL: ${summary.critical}, HIGH: ${summary.high}, MEDIUM: ${summary.medium}, LOW: ${summary.low}, UNKNOWN: ${summary.unknown})`);
  const active = report.vulnerabilities.filter((v) => !v.suppressed);
  const suppressed = report.vulnerabilities.filter((v) => v.suppressed);
  out.push('');
  if (active.length === 0) line('No vulnerabilities found.');
  else out.push(...findingRows(active, width, color, false));
  if (suppressed.length > 0) {
    out.push('');
    line(`Suppressed (${suppressed.length}, not counted in the total):`);
    out.push(...findingRows(suppressed, width, color, true));
  }
  if (report.secrets.length > 0) {
    out.push('');
    line(`Secrets: ${report.secrets.length}`);
    out.push(...secretRows(report.secrets, width, color));
  }
  for (const warning of report.warnings) line(`Warning: ${warning}`);
  return `${out.join('\n')}\n`;
}
