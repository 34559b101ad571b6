/**
 * Registry push notifications (Distribution's `application/vnd.docker.distribution.events.v1+json`
 * envelope): each pushed, tagged manifest becomes a scan at normal priority, ahead of bulk rescans.
 * Parsing is pure; the route lives in app.ts.
 */

export const DISTRIBUTION_EVENTS_TYPE = 'application/vnd.docker.distribution.events.v1+json';

const MANIFEST_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
]);

export interface PushTarget {
  /** `host[:port]/repository:tag@digest`: the tag for humans, the digest for an exact pull. */
  target: string;
  digest: string;
  event_id?: string;
}

export interface SkippedEvent {
  event_id?: string;
  reason: string;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= 512 ? v : undefined;
}

/**
 * Returns one scan target per pushed tagged manifest (deduplicated). Untagged manifest pushes are
 * skipped: they are the per-platform children of an index, which the index push already covers.
 */
export function pushTargetsFromEnvelope(body: unknown): { targets: PushTarget[]; skipped: SkippedEvent[] } {
  const targets: PushTarget[] = [];
  const skipped: SkippedEvent[] = [];
  const events = (body as { events?: unknown } | null)?.events;
  if (!Array.isArray(events)) return { targets, skipped: [{ reason: 'body has no events array' }] };
  const seen = new Set<string>();
  for (const raw of events.slice(0, 1000)) {
    const e = (raw ?? {}) as { id?: unknown; action?: unknown; target?: Record<string, unknown>; request?: Record<string, unknown> };
    const id = str(e.id);
    const skip = (reason: string) => skipped.push({ ...(id ? { event_id: id } : {}), reason });
    if (e.action !== 'push') { skip(`action ${String(e.action)} is not a push`); continue; }
    const t = e.target ?? {};
    const mediaType = str(t.mediaType);
    if (!mediaType || !MANIFEST_TYPES.has(mediaType)) { skip('not a manifest push'); continue; }
    const repository = str(t.repository);
    const digest = str(t.digest);
    const tag = str(t.tag);
    if (!repository || !digest || !/^sha256:[a-f0-9]{64}$/.test(digest)) { skip('event lacks repository or sha256 digest'); continue; }
    if (!tag) { skip('untagged manifest (index child or push by digest)'); continue; }
    let host = str(e.request?.host);
    const url = str(t.url);
    if (url) {
      try {
        host = new URL(url).host;
      } catch {
        // keep request.host
      }
    }
    if (!host) { skip('event names no registry host'); continue; }
    const target = `${host}/${repository}:${tag}@${digest}`;
    if (seen.has(target)) continue;
    seen.add(target);
    targets.push({ target, digest, ...(id ? { event_id: id } : {}) });
  }
  return { targets, skipped };
}
