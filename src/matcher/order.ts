/** The order findings are reported in: package name, version, severity, id. */
import type { Package } from '../model/inventory.ts';
import type { Vulnerability } from '../model/report.ts';
import { bySeverityThenId, compareText, instantiate } from './templates.ts';
import type { FindingTemplate } from './templates.ts';

function byNameThenVersion(a: Package, b: Package): number {
  return compareText(a.name, b.name) || compareText(a.version, b.version);
}

/**
 * Findings sorted by package name, version, severity, id — stably, i.e. exactly what sorting every
 * finding would give — without sorting every finding: packages are sorted, and each key's templates
 * were sorted once. Packages with the same name and version and the same key (one library found in
 * 100 layers) interleave template by template; different keys under one name and version are merged
 * by a stable sort of just their findings.
 */
export function findingsInOrder(packages: Package[], keys: (string | undefined)[], templatesByKey: Map<string, FindingTemplate[]>): Vulnerability[] {
  const withFindings: { pkg: Package; templates: FindingTemplate[] }[] = [];
  for (let i = 0; i < packages.length; i++) {
    const key = keys[i];
    const templates = key === undefined ? undefined : templatesByKey.get(key);
    if (templates) withFindings.push({ pkg: packages[i] as Package, templates });
  }
  withFindings.sort((a, b) => byNameThenVersion(a.pkg, b.pkg));
  const out: Vulnerability[] = [];
  for (let start = 0; start < withFindings.length; ) {
    const first = withFindings[start] as (typeof withFindings)[number];
    let end = start + 1;
    let sameTemplates = true;
    while (end < withFindings.length && byNameThenVersion(first.pkg, (withFindings[end] as (typeof withFindings)[number]).pkg) === 0) {
      sameTemplates &&= (withFindings[end] as (typeof withFindings)[number]).templates === first.templates;
      end++;
    }
    if (sameTemplates) {
      // Runs of templates that tie on (severity, id) keep package-then-template order, as a stable sort would.
      const templates = first.templates;
      for (let t = 0; t < templates.length; ) {
        let runEnd = t + 1;
        while (runEnd < templates.length && bySeverityThenId(templates[t] as FindingTemplate, templates[runEnd] as FindingTemplate) === 0) runEnd++;
        for (let j = start; j < end; j++) {
          const pkg = (withFindings[j] as (typeof withFindings)[number]).pkg;
          for (let r = t; r < runEnd; r++) out.push(instantiate(templates[r] as FindingTemplate, pkg));
        }
        t = runEnd;
      }
    } else {
      const group: Vulnerability[] = [];
      for (let j = start; j < end; j++) {
        const { pkg, templates } = withFindings[j] as (typeof withFindings)[number];
        for (const template of templates) group.push(instantiate(template, pkg));
      }
      group.sort(bySeverityThenId);
      for (const v of group) out.push(v);
    }
    start = end;
  }
  return out;
}
