/** Request and response schemas (TypeBox → JSON Schema): validation, serialisation and OpenAPI in one place. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

export const ScanType = Type.Literal('docker-image', { description: 'Only registry images are scanned through the API.' });
export const ScanStatus = Type.Union([Type.Literal('queued'), Type.Literal('scanning'), Type.Literal('completed'), Type.Literal('failed')]);
export const Priority = Type.Union([Type.Literal('urgent'), Type.Literal('normal'), Type.Literal('bulk')], {
  description: 'Queue priority: `urgent` > `normal` (default; API and push-triggered scans) > `bulk` (mass rescans).',
});

export const CreateScanBody = Type.Object({
  type: ScanType,
  target: Type.String({ minLength: 1, maxLength: 512, description: 'Image reference, e.g. `nginx:latest`, `registry.example.com/team/app@sha256:…`.' }),
  platform: Type.Optional(Type.String({ minLength: 3, maxLength: 80, description: '`os/arch[/variant]` for multi-platform images; default linux/amd64.' })),
  priority: Type.Optional(Priority),
}, { additionalProperties: false });
export type CreateScanBody = Static<typeof CreateScanBody>;

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const Links = Type.Object({
  self: Type.String(),
  report_url: Type.String(),
  sbom_url: Nullable(Type.String()),
}, { additionalProperties: false });

export const CreateScanResponse = Type.Object({
  scan_id: Type.String({ format: 'uuid' }),
  status: Type.Literal('queued'),
  message: Type.String(),
  type: Type.String(),
  target: Type.String(),
  platform: Nullable(Type.String()),
  priority: Type.String(),
  links: Links,
});

export const SummarySchema = Type.Object({
  critical: Type.Integer(), high: Type.Integer(), medium: Type.Integer(), low: Type.Integer(), unknown: Type.Integer(), total: Type.Integer(),
});

export const VulnerabilitySchema = Type.Object({
  id: Type.String(),
  cve_id: Type.String(),
  severity: Type.String(),
  package_name: Type.String(),
  installed_version: Type.String(),
  fixed_version: Nullable(Type.String()),
  ecosystem: Type.String(),
  purl: Type.String(),
  title: Type.String(),
  description: Type.String(),
});

const ScanCore = {
  scan_id: Type.String({ format: 'uuid' }),
  type: Type.String(),
  target: Type.String(),
  platform: Nullable(Type.String()),
  status: ScanStatus,
  digest: Nullable(Type.String()),
  priority: Type.String(),
  attempts: Type.Integer(),
  error: Nullable(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  started_at: Nullable(Type.String({ format: 'date-time' })),
  completed_at: Nullable(Type.String({ format: 'date-time' })),
  dead_lettered_at: Nullable(Type.String({ format: 'date-time' })),
  advisory_snapshot: Nullable(Type.String()),
  result_source: Nullable(Type.String({ description: '`scan` (pulled and analysed), `cache` (same digest and advisories), `rematch` (stored inventory, new advisories).' })),
  summary: SummarySchema,
  secrets: Type.Object({ total: Type.Integer() }),
  links: Links,
};

export const ScanListItem = Type.Object(ScanCore);
export const ScanDetail = Type.Object({ ...ScanCore, vulnerabilities: Type.Array(VulnerabilitySchema) });

export const ScanIdParams = Type.Object({ scan_id: Type.String({ format: 'uuid', maxLength: 36 }) }, { additionalProperties: false });
export const DigestParams = Type.Object({ digest: Type.String({ pattern: '^sha256:[a-f0-9]{64}$' }) }, { additionalProperties: false });

export const ListScansQuery = Type.Object({
  status: Type.Optional(ScanStatus),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  digest: Type.Optional(Type.String({ pattern: '^sha256:[a-f0-9]{64}$' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
}, { additionalProperties: false });
export type ListScansQuery = Static<typeof ListScansQuery>;

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
}, { additionalProperties: false });

export const ScanList = Type.Object({ items: Type.Array(ScanListItem), next_cursor: Nullable(Type.String()) });

export const ErrorBody = Type.Object({ error: Type.String(), message: Type.String() });

export const ImageDetail = Type.Object({
  digest: Type.String(),
  platform: Nullable(Type.String()),
  latest_scan_id: Type.String(),
  advisory_snapshot: Nullable(Type.String()),
  updated_at: Type.String({ format: 'date-time' }),
  summary: SummarySchema,
  report_url: Type.String(),
  sbom_url: Type.String(),
});

export const QueuedResponse = Type.Object({ scan_id: Type.String(), status: Type.Literal('queued'), message: Type.String() });

export const PlatformQuery = Type.Object({ platform: Type.Optional(Type.String({ minLength: 3, maxLength: 80 })) }, { additionalProperties: false });

export const SbomQuery = Type.Object(
  {
    platform: Type.Optional(Type.String({ minLength: 3, maxLength: 80 })),
    format: Type.Optional(Type.Union([Type.Literal('portwarden'), Type.Literal('cyclonedx-json'), Type.Literal('spdx-json')], { description: 'portwarden (stored inventory, default), CycloneDX 1.6 or SPDX 2.3' })),
  },
  { additionalProperties: false },
);

export const RescanBody = Type.Union([Type.Null(), Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })) }, { additionalProperties: false })]);
export const RescanResponse = Type.Object({ queued: Type.Integer(), skipped: Type.Array(Type.String()) });
