/**
 * `oci:DIR[:TAG]`: an OCI image layout directory (image-spec image-layout.md). The reading logic
 * works over a BlobStore so that `oci-archive:` (the same layout inside a tar) shares it.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ImageConfig, ImageSource, LayerDescriptor, Platform } from '../types.ts';
import { PortwardenError, UserInputError, errorMessage } from '../../util/errors.ts';
import { compressionFromMediaType } from '../layers/decompress.ts';
import { splitDigest, verifyBuffer, verifyStream } from '../layers/digest.ts';
import { formatPlatform, normalizePlatform, platformMatches, selectManifest, type IndexDescriptor } from '../platform.ts';

/** Manifests, indexes and configs are small; anything larger is not what it claims to be. */
export const MAX_JSON_BLOB = 8 * 1024 * 1024;

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const MANIFEST_TYPES = new Set(['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json']);

/** Where blobs of a layout live: a directory, or entries of a tar archive. */
export interface BlobStore {
  /** Human name for messages (`oci:/path`, `oci-archive:/file.tar`). */
  readonly name: string;
  /** A file of the layout by relative path (`index.json`), or undefined if absent. */
  readFile(relPath: string, maxBytes: number): Promise<Buffer | undefined>;
  /** Size of `blobs/<alg>/<hex>` or undefined if absent. */
  blobSize(digest: string): Promise<number | undefined>;
  openBlob(digest: string): Promise<Readable>;
  close(): Promise<void>;
}

export interface OciOpenOptions {
  platform?: Platform;
  onWarning?: (message: string) => void;
}

export interface OpenedImage {
  digest: string;
  manifestMediaType: string;
  platform: Platform | undefined;
  /** Why this manifest was chosen from an index, when there was a choice. */
  platformReason?: string;
  config: ImageConfig;
  configDigest: string;
  layers: LayerDescriptor[];
}

export function blobPath(digest: string): string {
  const { algorithm, hex } = splitDigest(digest, 'blob digest');
  return `blobs/${algorithm}/${hex}`;
}

function parseJson(data: Buffer, what: string): unknown {
  try {
    return JSON.parse(data.toString('utf8')) as unknown;
  } catch (err) {
    throw new UserInputError(`${what} is not valid JSON: ${errorMessage(err)}`, 'invalid_image');
  }
}

async function readJsonBlob(store: BlobStore, d: IndexDescriptor, what: string): Promise<{ json: unknown; data: Buffer }> {
  const data = await store.readFile(blobPath(d.digest), MAX_JSON_BLOB);
  if (!data) throw new UserInputError(`${store.name}: ${what} ${d.digest} is missing from blobs/`, 'invalid_image');
  verifyBuffer(data, d.digest, `${store.name}: ${what}`, typeof d.size === 'number' ? d.size : undefined);
  return { json: parseJson(data, `${store.name}: ${what} ${d.digest}`), data };
}

function asDescriptor(value: unknown, what: string): IndexDescriptor {
  const d = value as Partial<IndexDescriptor> | null;
  if (!d || typeof d.digest !== 'string' || typeof d.size !== 'number') {
    throw new UserInputError(`${what}: descriptor without digest/size`, 'invalid_image');
  }
  splitDigest(d.digest, `${what} digest`);
  return d as IndexDescriptor;
}

function mediaTypeOf(json: unknown, d: IndexDescriptor): string | undefined {
  const fromJson = (json as { mediaType?: unknown } | null)?.mediaType;
  return typeof fromJson === 'string' ? fromJson : d.mediaType;
}

function isIndexJson(json: unknown, d: IndexDescriptor): boolean {
  const mt = mediaTypeOf(json, d);
  if (mt) return INDEX_TYPES.has(mt);
  return Array.isArray((json as { manifests?: unknown }).manifests);
}

/** Reads a manifest (following indexes to the wanted platform) into an OpenedImage. */
export async function resolveImage(store: BlobStore, top: IndexDescriptor, opts: OciOpenOptions): Promise<OpenedImage> {
  let descriptor = top;
  let platformReason: string | undefined;
  let selected: Platform | undefined;
  for (let depth = 0; ; depth++) {
    if (depth > 4) throw new UserInputError(`${store.name}: image indexes nested too deeply`, 'invalid_image');
    const { json } = await readJsonBlob(store, descriptor, 'manifest');
    if (isIndexJson(json, descriptor)) {
      const picked = selectManifest(json, opts.platform);
      descriptor = asDescriptor(picked.descriptor, `${store.name}: index ${descriptor.digest}`);
      platformReason = picked.reason;
      selected = picked.platform;
      continue;
    }
    const mediaType = mediaTypeOf(json, descriptor) ?? 'application/vnd.oci.image.manifest.v1+json';
    if (!MANIFEST_TYPES.has(mediaType)) {
      throw new UserInputError(`${store.name}: unsupported manifest media type ${mediaType} (${descriptor.digest})`, 'unsupported_manifest');
    }
    const manifest = json as { config?: unknown; layers?: unknown };
    const configDescriptor = asDescriptor(manifest.config, `${store.name}: manifest ${descriptor.digest} config`);
    if (!Array.isArray(manifest.layers)) throw new UserInputError(`${store.name}: manifest ${descriptor.digest} has no layers array`, 'invalid_image');
    const { json: configJson } = await readJsonBlob(store, configDescriptor, 'config');
    const config = configJson as ImageConfig;
    const diffIds = config.rootfs?.diff_ids ?? [];
    const layers = manifest.layers.map((l, i): LayerDescriptor => {
      const d = asDescriptor(l, `${store.name}: manifest ${descriptor.digest} layer ${i}`);
      const mt = d.mediaType ?? 'application/vnd.oci.image.layer.v1.tar';
      const layer: LayerDescriptor = { digest: d.digest, size: d.size, mediaType: mt, compression: compressionFromMediaType(mt) };
      const diffId = diffIds[i];
      if (typeof diffId === 'string') layer.diffId = diffId;
      return layer;
    });
    const configPlatform = config.architecture && config.os
      ? normalizePlatform({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) })
      : undefined;
    const platform = selected ?? configPlatform;
    if (opts.platform && !selected && configPlatform && !platformMatches(opts.platform, configPlatform)) {
      opts.onWarning?.(`${store.name}: requested platform ${formatPlatform(opts.platform)} but the image is ${formatPlatform(configPlatform)} (single-platform image); scanning it anyway`);
    }
    const out: OpenedImage = { digest: descriptor.digest, manifestMediaType: mediaType, platform, config, configDigest: configDescriptor.digest, layers };
    if (platformReason) out.platformReason = platformReason;
    return out;
  }
}

/** Picks the entry of a layout's index.json: by ref name annotation when a tag is given, else the only one. */
export function selectLayoutEntry(indexJson: unknown, tag: string | undefined, name: string): IndexDescriptor {
  const manifests = (indexJson as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(manifests)) throw new UserInputError(`${name}: index.json has no manifests array`, 'invalid_image');
  const entries = manifests.map((m, i) => asDescriptor(m, `${name}: index.json entry ${i}`));
  const refName = (d: IndexDescriptor): string | undefined => d.annotations?.[REF_NAME_ANNOTATION];
  if (tag !== undefined) {
    const found = entries.filter((d) => refName(d) === tag);
    if (found.length === 0) {
      const tags = entries.map(refName).filter((t): t is string => t !== undefined);
      throw new UserInputError(`${name}: no image tagged "${tag}" (tags: ${tags.length ? tags.join(', ') : 'none'})`, 'image_not_found');
    }
    if (found.length > 1) throw new UserInputError(`${name}: more than one image tagged "${tag}"`, 'invalid_image');
    return found[0] as IndexDescriptor;
  }
  if (entries.length === 1) return entries[0] as IndexDescriptor;
  if (entries.length === 0) throw new UserInputError(`${name}: the layout holds no images`, 'image_not_found');
  const tags = entries.map(refName).filter((t): t is string => t !== undefined);
  throw new UserInputError(`${name}: the layout holds ${entries.length} images; name one with :TAG (tags: ${tags.join(', ') || 'none'})`, 'ambiguous_image');
}

/** Builds an ImageSource over a store: opens layers as verified streams. */
export async function openLayoutSource(
  store: BlobStore,
  transport: 'oci' | 'oci-archive',
  reference: string,
  tag: string | undefined,
  opts: OciOpenOptions,
): Promise<ImageSource> {
  try {
    const indexData = await store.readFile('index.json', MAX_JSON_BLOB);
    if (!indexData) throw new UserInputError(`${store.name}: not an OCI image layout (no index.json)`, 'invalid_image');
    const top = selectLayoutEntry(parseJson(indexData, `${store.name}: index.json`), tag, store.name);
    const image = await resolveImage(store, top, opts);
    // Foreign (Windows base) layers are usually not copied into a layout; skip them like the registry source does.
    const present: LayerDescriptor[] = [];
    for (const layer of image.layers) {
      if (/nondistributable|foreign/.test(layer.mediaType) && (await store.blobSize(layer.digest)) === undefined) {
        opts.onWarning?.(`${store.name}: skipped non-distributable layer ${layer.digest} (blob not in the layout)`);
        continue;
      }
      present.push(layer);
    }
    image.layers = present;
    const source: ImageSource = {
      transport,
      ...(image.platformReason ? { platformReason: image.platformReason } : {}),
      reference,
      digest: image.digest,
      platform: image.platform,
      manifestMediaType: image.manifestMediaType,
      config: image.config,
      configDigest: image.configDigest,
      layers: image.layers,
      async openLayer(index: number): Promise<Readable> {
        const layer = image.layers[index];
        if (!layer) throw new PortwardenError('layer_missing', `${store.name}: no layer ${index}`);
        if ((await store.blobSize(layer.digest)) === undefined) {
          const foreign = /nondistributable|foreign/.test(layer.mediaType) ? ' (a non-distributable layer that was never copied into the layout)' : '';
          throw new PortwardenError('blob_missing', `${store.name}: layer blob ${layer.digest} is missing${foreign}`);
        }
        return verifyStream(await store.openBlob(layer.digest), layer.digest, `layer`, layer.size);
      },
      close: () => store.close(),
    };
    return source;
  } catch (err) {
    await store.close();
    throw err;
  }
}

class DirectoryBlobStore implements BlobStore {
  constructor(readonly name: string, private readonly dir: string) {}
  async readFile(relPath: string, maxBytes: number): Promise<Buffer | undefined> {
    const file = path.join(this.dir, relPath);
    let size: number;
    try {
      const st = await stat(file);
      if (!st.isFile()) return undefined;
      size = st.size;
    } catch {
      return undefined;
    }
    if (size > maxBytes) throw new UserInputError(`${this.name}: ${relPath} is ${size} bytes, more than a manifest/config can be (${maxBytes})`, 'invalid_image');
    return readFile(file);
  }
  async blobSize(digest: string): Promise<number | undefined> {
    try {
      const st = await stat(path.join(this.dir, blobPath(digest)));
      return st.isFile() ? st.size : undefined;
    } catch {
      return undefined;
    }
  }
  async openBlob(digest: string): Promise<Readable> {
    return createReadStream(path.join(this.dir, blobPath(digest)), { highWaterMark: 1 << 20 });
  }
  async close(): Promise<void> {}
}

/** Opens `oci:DIR[:TAG]`. */
export async function openOciLayout(dir: string, tag: string | undefined, opts: OciOpenOptions = {}): Promise<ImageSource> {
  const abs = path.resolve(dir);
  try {
    if (!(await stat(abs)).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new UserInputError(`oci:${dir}: cannot open the layout directory (${errorMessage(err)})`, 'invalid_target');
  }
  const name = `oci:${abs}`;
  return openLayoutSource(new DirectoryBlobStore(name, abs), 'oci', tag ? `${name}:${tag}` : name, tag, opts);
}
