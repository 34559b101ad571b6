/**
 * Manifest parsing (pure: bytes in, records out) for Docker v2 schema 2, Docker manifest lists,
 * OCI image manifests and OCI indexes. Schema 1 and non-image artifacts are refused with a message
 * saying so, never half-read.
 */
import type { Compression } from '../types.ts';
import { RegistryError } from './errors.ts';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

/** Accept header for manifest requests; schema 1 last so a registry only falls back to it when nothing else exists. */
export const MANIFEST_ACCEPT = [
  MEDIA.ociIndex,
  MEDIA.dockerList,
  MEDIA.ociManifest,
  MEDIA.dockerManifest,
  `${MEDIA.dockerSchema1Signed};q=0.1`,
  `${MEDIA.dockerSchema1};q=0.1`,
].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  platform?: { os?: string; architecture?: string; variant?: string; 'os.version'?: string };
  annotations?: Record<string, string>;
}

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; manifests: Descriptor[]; raw: unknown }
  | { kind: 'image'; mediaType: string; config: Descriptor; layers: Descriptor[]; raw: unknown };

const KNOWN_TYPES = new Set<string>([MEDIA.ociIndex, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.dockerManifest]);

const DIGEST = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(where: string, why: string): never {
  throw new RegistryError('invalid_manifest', `${where}: invalid manifest: ${why}`);
}

function parseDescriptor(v: unknown, where: string, field: string): Descriptor {
  if (!isRecord(v)) invalid(where, `${field} is not an object`);
  const { mediaType, digest, size } = v;
  if (typeof digest !== 'string' || !DIGEST.test(digest)) invalid(where, `${field}.digest ${JSON.stringify(digest)?.slice(0, 100)} is not a sha256/sha512 digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) invalid(where, `${field}.size must be a non-negative integer`);
  if (typeof mediaType !== 'string') invalid(where, `${field}.mediaType is missing`);
  const d: Descriptor = { mediaType, digest, size };
  if (Array.isArray(v.urls)) d.urls = v.urls.filter((u): u is string => typeof u === 'string');
  if (isRecord(v.platform)) d.platform = v.platform as Descriptor['platform'] & object;
  if (isRecord(v.annotations)) d.annotations = v.annotations as Record<string, string>;
  return d;
}

/**
 * Parses manifest bytes. `contentType` (the response header) is used when the body lacks a
 * `mediaType` field, which OCI allows. `where` names the manifest in errors (`host/repo@digest`).
 */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined, where: string): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    invalid(where, 'not JSON');
  }
  if (!isRecord(doc)) invalid(where, 'not a JSON object');
  const headerType = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  // OCI makes the body's mediaType optional and some registries answer `application/json`; a
  // generic header must not turn a valid manifest into an "unsupported" one, so only a known
  // manifest type from the header counts, and the document's structure decides otherwise.
  const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : KNOWN_TYPES.has(headerType) || headerType.includes('v1+prettyjws') || headerType.endsWith('manifest.v1+json') ? headerType : '';
  if (doc.schemaVersion === 1 || mediaType === MEDIA.dockerSchema1 || mediaType === MEDIA.dockerSchema1Signed) {
    throw new RegistryError(
      'unsupported_manifest',
      `${where}: Docker image manifest schema 1 is not supported (deprecated since 2017); re-push the image with a current client`,
    );
  }
  if (doc.schemaVersion !== 2) invalid(where, `schemaVersion ${JSON.stringify(doc.schemaVersion)} (expected 2)`);
  if (Array.isArray(doc.manifests)) {
    if (mediaType && mediaType !== MEDIA.ociIndex && mediaType !== MEDIA.dockerList) {
      throw new RegistryError('unsupported_manifest', `${where}: unsupported index media type ${mediaType}`);
    }
    const manifests = doc.manifests.map((m, i) => parseDescriptor(m, where, `manifests[${i}]`));
    return { kind: 'index', mediaType: mediaType || MEDIA.ociIndex, manifests, raw: doc };
  }
  if (!isRecord(doc.config) || !Array.isArray(doc.layers)) {
    throw new RegistryError('unsupported_manifest', `${where}: unsupported manifest (media type ${mediaType || 'unknown'}): neither an image manifest nor an index`);
  }
  if (mediaType && mediaType !== MEDIA.ociManifest && mediaType !== MEDIA.dockerManifest) {
    throw new RegistryError('unsupported_manifest', `${where}: unsupported manifest media type ${mediaType}`);
  }
  const config = parseDescriptor(doc.config, where, 'config');
  if (config.mediaType !== MEDIA.ociConfig && config.mediaType !== MEDIA.dockerConfig) {
    // Helm charts, signatures, SBOM attestations… share the manifest format but are not images.
    throw new RegistryError('unsupported_manifest', `${where}: not a container image (config media type ${config.mediaType})`);
  }
  const layers = doc.layers.map((l, i) => parseDescriptor(l, where, `layers[${i}]`));
  return { kind: 'image', mediaType: mediaType || MEDIA.ociManifest, config, layers, raw: doc };
}

export type LayerKind = { compression: Compression; foreign: boolean };

/**
 * Compression of a layer from its media type; undefined for media types that are not filesystem
 * layers (e.g. Helm chart content). Foreign/non-distributable layers (Windows base layers) are
 * flagged: their content may live outside the registry.
 */
export function classifyLayer(mediaType: string): LayerKind | undefined {
  const mt = mediaType.toLowerCase();
  const foreign = mt.includes('.foreign.') || mt.includes('.nondistributable.');
  const known =
    mt.startsWith('application/vnd.oci.image.layer.') || mt.startsWith('application/vnd.docker.image.rootfs.');
  if (!known) return undefined;
  if (mt.endsWith('+gzip') || mt.endsWith('.tar.gzip')) return { compression: 'gzip', foreign };
  if (mt.endsWith('+zstd') || mt.endsWith('.tar.zstd')) return { compression: 'zstd', foreign };
  if (mt.endsWith('.tar')) return { compression: 'none', foreign };
  return undefined;
}
