/**
 * The one report schema, shared by the CLI (`--format json`), the API, the store and the dashboard.
 * Snake_case names are part of the public contract; extend, never rename.
 */
import type { OSInfo, Package } from './inventory.ts';

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'UNKNOWN';
export const SEVERITIES: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];

export interface CvssScore {
  version: '2.0' | '3.0' | '3.1' | '4.0';
  vector: string;
  score: number;
  severity: Severity;
  /** Who published the vector (`nvd`, `ghsa`, the OSV record's source…). */
  source?: string;
}

export type FixStatus = 'fixed' | 'affected' | 'will_not_fix' | 'unknown';

export interface MatchEvidence {
  /** Advisory record that matched (its OSV id, or the distro feed's id). */
  advisory: string;
  ecosystem: string;
  package: string;
  /** Human-readable description of the affected range (`>=0, <1.2.3-1+deb12u1`). */
  range: string;
  /** The comparisons that decided the match, e.g. `1.2.3-1 < 1.2.3-1+deb12u1 (dpkg)`. */
  comparisons: string[];
  /** Version scheme used (`dpkg`, `semver`…); `generic` means lower confidence. */
  scheme: string;
  confidence: 'high' | 'low';
  /** Matched through the source package (`source`) or the binary package name (`binary`). */
  via?: 'binary' | 'source' | 'purl';
}

export interface Vulnerability {
  /** Primary advisory id (CVE when one is known, else GHSA/OSV id). */
  id: string;
  aliases: string[];
  /** CVE id if any alias is one, else the primary id (API contract field). */
  cve_id: string;
  severity: Severity;
  /** Where the chosen severity came from (`cvss-v3.1:nvd`, `debian`, `ghsa`…), see docs. */
  severity_source?: string;
  cvss?: CvssScore[];
  /** Other severities seen (distro priorities, etc.), kept for detail. */
  vendor_severity?: Record<string, string>;
  package_name: string;
  installed_version: string;
  fixed_version: string | null;
  ecosystem: string;
  purl: string;
  status: FixStatus;
  title: string;
  description: string;
  references: string[];
  /** Layer digest where the vulnerable package was found. */
  layer?: string;
  path?: string;
  published?: string;
  modified?: string;
  evidence?: MatchEvidence[];
  /** Set when an ignore file or VEX statement suppresses this finding; suppressed findings stay listed. */
  suppressed?: { by: 'ignorefile' | 'vex'; reason: string; source?: string };
}

export interface SecretFinding {
  rule_id: string;
  category: string;
  severity: Severity;
  title: string;
  /** File path in the image, or `config:env`, `config:history[3]`, `config:label:KEY`. */
  path: string;
  layer?: string;
  line?: number;
  /** Redacted match: a short prefix followed by `*****`; the full secret is never stored. */
  match: string;
  /** True when a later layer deleted or replaced the file (still downloadable from the image). */
  deleted?: boolean;
}

export interface Summary {
  critical: number;
  high: number;
  medium: number;
  low: number;
  unknown: number;
  total: number;
}

export interface ReportArtifact {
  kind: string;
  reference: string;
  platform?: string;
  media_type?: string;
  layers?: { digest: string; size: number; diff_id?: string; created_by?: string }[];
  config?: {
    user?: string;
    env?: string[];
    entrypoint?: string[];
    cmd?: string[];
    labels?: Record<string, string>;
  };
}

export interface Report {
  schema_version: 1;
  /**
   * `analyzers` fingerprints the analyzer set (names and versions) that built the inventory, so a
   * stored inventory is reused only while the code that produced it is unchanged.
   */
  tool: { name: 'portwarden'; version: string; analyzers?: string };
  created_at: string;
  target: string;
  /** Manifest digest of the scanned image; absent for `dir:` and `sbom:` targets. */
  digest?: string;
  artifact: ReportArtifact;
  os?: Pick<OSInfo, 'family' | 'version' | 'name'> & Partial<OSInfo>;
  packages: Package[];
  vulnerabilities: Vulnerability[];
  secrets: SecretFinding[];
  summary: Summary;
  /** Advisory snapshot the findings were computed against. */
  db?: { snapshot: string; built_at?: string };
  warnings: string[];
}
