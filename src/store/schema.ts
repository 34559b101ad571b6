/** Table types for Kysely: the store's one schema (see migrations.ts for the DDL). */
import type { ColumnType, Generated, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type ScanStatus = 'queued' | 'scanning' | 'completed' | 'failed';

export interface ScansTable {
  id: string;
  type: string;
  target: string;
  platform: string | null;
  digest: string | null;
  status: ScanStatus;
  priority: number;
  attempts: Generated<number>;
  error: string | null;
  dead_lettered_at: NullableTimestamp;
  job_id: string | null;
  created_at: Generated<Date>;
  started_at: NullableTimestamp;
  completed_at: NullableTimestamp;
  updated_at: Generated<Date>;
  critical: Generated<number>;
  high: Generated<number>;
  medium: Generated<number>;
  low: Generated<number>;
  unknown: Generated<number>;
  total: Generated<number>;
  secrets: Generated<number>;
  advisory_snapshot: string | null;
  report_key: string | null;
  /** How the result was produced: `scan`, `cache` (same digest, same advisories) or `rematch`. */
  result_source: string | null;
  requested_by: string | null;
}

export interface ImagesTable {
  digest: string;
  /** '' when the digest already names one platform's manifest. */
  platform: string;
  latest_scan_id: string;
  report_key: string;
  sbom_key: string;
  advisory_snapshot: string | null;
  updated_at: Generated<Date>;
}

export interface FindingsTable {
  id: Generated<string>;
  scan_id: string;
  vuln_id: string;
  cve_id: string;
  severity: string;
  package_name: string;
  installed_version: string;
  fixed_version: string | null;
  ecosystem: string;
  purl: string;
  title: string;
  description: string;
}

export interface DigestLeasesTable {
  digest: string;
  platform: string;
  scan_id: string;
  lease_until: Timestamp;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  token_hash: string;
  scopes: string;
  created_at: Generated<Date>;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface Database {
  scans: ScansTable;
  images: ImagesTable;
  findings: FindingsTable;
  digest_leases: DigestLeasesTable;
  api_tokens: ApiTokensTable;
}

export type ScanRow = Selectable<ScansTable>;
export type FindingRow = Selectable<FindingsTable>;
export type ImageRow = Selectable<ImagesTable>;
export type TokenRow = Selectable<ApiTokensTable>;
