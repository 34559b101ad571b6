/**
 * `docker-archive:FILE[:REF|:@N]`: `docker save` output. Both layouts are read through the
 * archive's manifest.json, never by guessing names: the legacy one (`<id>/layer.tar`,
 * `<hex>.json`) and Docker 25+'s (`blobs/sha256/<hex>` beside an OCI index). Layers are usually
 * uncompressed tars; their digest is the blob name when the layout has one, else the config's
 * diff_id (which, for an uncompressed layer, is the digest of the bytes). Both are verified as
 * the layer streams; a compressed legacy layer is hashed once up front instead.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ImageConfig, ImageSource, LayerDescriptor, Platform } from '../types.ts';
import { PortwardenError, UserInputError, errorMessage } from '../../util/errors.ts';
import { detectCompression, peek } from '../layers/decompress.ts';
import { digestOf, verifyBuffer, verifyStream } from '../layers/digest.ts';
import { formatPlatform, normalizePlatform, platformMatches } from '../platform.ts';
import { formatReference, parseImageReference } from '../reference.ts';
import { MAX_JSON_BLOB } from './oci.ts';
import { TarBlobStore } from './oci-archive.ts';

interface ManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

const LAYER_MEDIA_TYPE = 'application/vnd.docker.image.rootfs.diff.tar';

function parseManifestJson(data: Buffer, name: string): ManifestEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new UserInputError(`${name}: manifest.json is not valid JSON: ${errorMessage(err)}`, 'invalid_image');
  }
  if (!Array.isArray(json) || json.length === 0) throw new UserInputError(`${name}: manifest.json lists no images`, 'invalid_image');
  return json.map((e: unknown, i) => {
    const entry = e as Partial<ManifestEntry> | null;
    if (!entry || typeof entry.Config !== 'string' || !Array.isArray(entry.Layers) || !entry.Layers.every((l) => typeof l === 'string')) {
      throw new UserInputError(`${name}: manifest.json entry ${i} lacks Config or Layers`, 'invalid_image');
    }
    return entry as ManifestEntry;
  });
}

function normalizeTag(tag: string): string {
  try {
    return formatReference(parseImageReference(tag));
  } catch {
    return tag;
  }
}

function selectEntry(entries: ManifestEntry[], tag: string | undefined, index: number | undefined, name: string): ManifestEntry {
  const allTags = entries.flatMap((e) => e.RepoTags ?? []);
  if (index !== undefined) {
    const e = entries[index];
    if (!e) throw new UserInputError(`${name}: no image @${index} (the archive holds ${entries.length})`, 'image_not_found');
    return e;
  }
  if (tag !== undefined) {
    const wanted = normalizeTag(tag);
    const found = entries.filter((e) => (e.RepoTags ?? []).some((t) => normalizeTag(t) === wanted));
    if (found.length === 0) throw new UserInputError(`${name}: no image tagged ${tag} (tags: ${allTags.join(', ') || 'none'})`, 'image_not_found');
    return found[0] as ManifestEntry;
  }
  if (entries.length > 1) {
    throw new UserInputError(`${name}: the archive holds ${entries.length} images; pick one with :REPO:TAG or :@N (tags: ${allTags.join(', ') || 'none'})`, 'ambiguous_image');
  }
  return entries[0] as ManifestEntry;
}

/** A blob named `blobs/<alg>/<hex>` or `<hex>.json` / `<hex>/…` carries its digest in its name. */
function digestFromName(p: string): string | undefined {
  const blob = /^blobs\/(sha256|sha512)\/([0-9a-f]+)$/.exec(p);
  if (blob) return `${blob[1]}:${blob[2]}`;
  const legacyConfig = /^([0-9a-f]{64})\.json$/.exec(p);
  if (legacyConfig) return `sha256:${legacyConfig[1]}`;
  return undefined;
}

function cleanPath(p: string): string {
  return path.posix.normalize(p).replace(/^(\.\/)+/, '').replace(/^\/+/, '');
}

async function hashStream(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Docker 25+ archives also carry an OCI index whose manifest names the same config: its digest is
 * the image's manifest digest (what a registry push of this save would produce). Legacy archives
 * have no manifest, so the source has no digest, only configDigest.
 */
async function findOciManifestDigest(store: TarBlobStore, configDigest: string): Promise<string | undefined> {
  const indexData = await store.readFile('index.json', MAX_JSON_BLOB);
  if (!indexData) return undefined;
  try {
    const manifests = (JSON.parse(indexData.toString('utf8')) as { manifests?: { digest?: unknown; size?: unknown }[] }).manifests ?? [];
    for (const d of manifests) {
      if (typeof d.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(d.digest)) continue;
      const data = await store.readFile(`blobs/sha256/${d.digest.slice(7)}`, MAX_JSON_BLOB);
      if (!data || digestOf(data) !== d.digest) continue;
      const manifest = JSON.parse(data.toString('utf8')) as { config?: { digest?: unknown } };
      if (manifest.config?.digest === configDigest) return d.digest;
    }
  } catch {
    // An unreadable index.json does not make the archive unusable: manifest.json is authoritative.
  }
  return undefined;
}

export interface DockerArchiveOptions {
  platform?: Platform;
  onWarning?: (message: string) => void;
}

export async function openDockerArchive(file: string, tag: string | undefined, index: number | undefined, opts: DockerArchiveOptions = {}): Promise<ImageSource> {
  const abs = path.resolve(file);
  const name = `docker-archive:${abs}`;
  const store = await TarBlobStore.open(name, abs);
  const manifestData = await store.readFile('manifest.json', MAX_JSON_BLOB);
  if (!manifestData) throw new UserInputError(`${name}: not a docker save archive (no manifest.json)`, 'invalid_image');
  const entry = selectEntry(parseManifestJson(manifestData, name), tag, index, name);
  const configPath = cleanPath(entry.Config);
  const configData = await store.readFile(configPath, MAX_JSON_BLOB);
  if (!configData) throw new UserInputError(`${name}: config ${entry.Config} is missing`, 'invalid_image');
  const configDigest = digestFromName(configPath) ?? digestOf(configData);
  verifyBuffer(configData, configDigest, `${name}: config`);
  let config: ImageConfig;
  try {
    config = JSON.parse(configData.toString('utf8')) as ImageConfig;
  } catch (err) {
    throw new UserInputError(`${name}: config is not valid JSON: ${errorMessage(err)}`, 'invalid_image');
  }
  const diffIds = config.rootfs?.diff_ids ?? [];
  const layerPaths = entry.Layers.map(cleanPath);
  const layers: LayerDescriptor[] = [];
  for (const [i, p] of layerPaths.entries()) {
    const e = store.entry(p);
    if (!e) throw new UserInputError(`${name}: layer ${p} listed in manifest.json is missing`, 'invalid_image');
    const headStream = store.openPath(p);
    const head = await peek(headStream, 4);
    headStream.destroy();
    const compression = detectCompression(head);
    let digest = digestFromName(p);
    const diffId = diffIds[i];
    if (!digest) {
      // Legacy names say nothing; an uncompressed layer's digest is its diff_id, a compressed one must be hashed.
      digest = compression === 'none' && typeof diffId === 'string' ? diffId : await hashStream(store.openPath(p));
    }
    const layer: LayerDescriptor = { digest, size: e.size, mediaType: compression === 'none' ? LAYER_MEDIA_TYPE : `${LAYER_MEDIA_TYPE}.${compression}`, compression };
    if (typeof diffId === 'string') layer.diffId = diffId;
    layers.push(layer);
  }
  const platform = config.architecture && config.os
    ? normalizePlatform({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) })
    : undefined;
  if (opts.platform && platform && !platformMatches(opts.platform, platform)) {
    opts.onWarning?.(`${name}: requested platform ${formatPlatform(opts.platform)} but the image is ${formatPlatform(platform)}; scanning it anyway`);
  }
  const manifestDigest = await findOciManifestDigest(store, configDigest);
  const selectedTag = index !== undefined ? `@${index}` : tag;
  return {
    transport: 'docker-archive',
    reference: selectedTag ? `${name}:${selectedTag}` : name,
    ...(manifestDigest ? { digest: manifestDigest } : {}),
    ...(platform ? { platform } : {}),
    manifestMediaType: manifestDigest ? 'application/vnd.oci.image.manifest.v1+json' : 'application/vnd.docker.distribution.manifest.v2+json',
    config,
    configDigest,
    layers,
    async openLayer(i: number): Promise<Readable> {
      const layer = layers[i];
      const p = layerPaths[i];
      if (!layer || p === undefined) throw new PortwardenError('layer_missing', `${name}: no layer ${i}`);
      return verifyStream(store.openPath(p), layer.digest, 'layer', layer.size);
    },
    close: () => store.close(),
  };
}
