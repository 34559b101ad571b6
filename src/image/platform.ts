/**
 * Platform strings (`linux/arm64/v8`) and picking one manifest out of an OCI image index or a
 * Docker manifest list. Shared by every source (registry, oci:, oci-archive:) so that a given
 * index resolves to the same image whichever transport it came from.
 */
import type { Platform } from './types.ts';
import { UserInputError } from '../util/errors.ts';

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/** `linux/arm64/v8` → { os: 'linux', architecture: 'arm64', variant: 'v8' }; `arm64` alone means linux/arm64. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().split('/');
  if (parts.some((p) => p === '' || /\s/.test(p)) || parts.length > 3) {
    throw new UserInputError(`invalid platform "${text}": expected OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm64/v8`);
  }
  const lower = parts.map((p) => p.toLowerCase());
  if (lower.length === 1) return normalizePlatform({ os: 'linux', architecture: lower[0] as string });
  const [os, architecture, variant] = lower as [string, string, string | undefined];
  return normalizePlatform(variant === undefined ? { os, architecture } : { os, architecture, variant });
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/**
 * Aliases as containerd's platforms package normalises them: x86_64 → amd64, aarch64 → arm64,
 * and arm64's only variant v8 is dropped so `linux/arm64` and `linux/arm64/v8` compare equal.
 */
export function normalizePlatform(p: Platform): Platform {
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase() || undefined;
  if (architecture === 'x86_64' || architecture === 'x86-64') architecture = 'amd64';
  if (architecture === 'aarch64') architecture = 'arm64';
  if (architecture === 'armhf') { architecture = 'arm'; variant = variant ?? 'v7'; }
  if (architecture === 'armel') { architecture = 'arm'; variant = variant ?? 'v6'; }
  if (architecture === 'i386' || architecture === 'i686') architecture = '386';
  if (architecture === 'arm64' && (variant === 'v8' || variant === '8')) variant = undefined;
  if (architecture === 'arm' && variant && /^\d$/.test(variant)) variant = `v${variant}`;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  const out: Platform = { os: p.os.toLowerCase(), architecture };
  if (variant) out.variant = variant;
  return out;
}

/** True when `candidate` satisfies `wanted`; a wanted platform without variant accepts any variant. */
export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  const w = normalizePlatform(wanted);
  const c = normalizePlatform(candidate);
  if (w.os !== c.os || w.architecture !== c.architecture) return false;
  if (w.variant === undefined) return true;
  // Only the exact variant: silently scanning a v6 image for a v7 request would report on the wrong
  // binaries. An arm entry without a variant is v7 by convention.
  return (c.variant ?? (c.architecture === 'arm' ? 'v7' : undefined)) === w.variant;
}

export interface IndexDescriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string; 'os.version'?: string };
  annotations?: Record<string, string>;
}

export interface ManifestSelection {
  descriptor: IndexDescriptor;
  platform: Platform;
  /** Why this entry was picked, for `image inspect` ("matched requested linux/arm64", "only platform in index"). */
  reason: string;
}

/** Attestation and signature entries in a BuildKit index carry `unknown/unknown`; they are not images. */
function isAttestation(d: IndexDescriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest'
    || (d.platform?.os === 'unknown' && d.platform.architecture === 'unknown');
}

function descriptorPlatform(d: IndexDescriptor): Platform | undefined {
  if (!d.platform?.os || !d.platform.architecture) return undefined;
  const p: Platform = { os: d.platform.os, architecture: d.platform.architecture };
  if (d.platform.variant) p.variant = d.platform.variant;
  return normalizePlatform(p);
}

function variantRank(wanted: Platform, p: Platform): number {
  // Prefer the exact/default variant over others when the request left it open (arm → v7 first).
  if (p.architecture === 'arm' && wanted.variant === undefined) {
    const order = ['v7', 'v6', 'v5'];
    const i = order.indexOf(p.variant ?? 'v7');
    return i < 0 ? order.length : i;
  }
  return p.variant === undefined ? 0 : 1;
}

/**
 * Picks the manifest for `wanted` from an index / manifest list. Without `wanted`, linux/amd64 is
 * taken when present, else the index's single image if it has only one; otherwise the error lists
 * what is available so the user can pass --platform.
 */
export function selectManifest(indexJson: unknown, wanted?: Platform): ManifestSelection {
  const manifests = (indexJson as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(manifests)) throw new UserInputError('image index has no "manifests" array');
  const images = (manifests as IndexDescriptor[]).filter(
    (d) => d && typeof d.digest === 'string' && !isAttestation(d),
  );
  const withPlatform = images
    .map((d) => ({ d, p: descriptorPlatform(d) }))
    .filter((x): x is { d: IndexDescriptor; p: Platform } => x.p !== undefined);
  const available = withPlatform.map((x) => formatPlatform(x.p));
  const target = normalizePlatform(wanted ?? DEFAULT_PLATFORM);
  const matches = withPlatform
    .filter((x) => platformMatches(target, x.p))
    .sort((a, b) => variantRank(target, a.p) - variantRank(target, b.p));
  const best = matches[0];
  if (best) {
    return { descriptor: best.d, platform: best.p, reason: wanted ? `matched requested ${formatPlatform(target)}` : `default ${formatPlatform(DEFAULT_PLATFORM)}` };
  }
  if (!wanted) {
    const only = images.length === 1 ? images[0] : undefined;
    if (only) {
      const p = descriptorPlatform(only) ?? DEFAULT_PLATFORM;
      return { descriptor: only, platform: p, reason: `only image in index (${formatPlatform(p)}); linux/amd64 not available` };
    }
  }
  throw new UserInputError(
    `no image for platform ${formatPlatform(target)} in the index; available: ${available.length ? available.join(', ') : 'none'} (use --platform)`,
    'platform_not_found',
  );
}
