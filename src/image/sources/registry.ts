/**
 * Registry images as an ImageSource: resolve the manifest (choosing a platform from an index),
 * fetch and verify the config, and serve layers as verified compressed streams.
 */
import type { Readable } from 'node:stream';
import type { ImageConfig, ImageSource, LayerDescriptor, Platform } from '../types.ts';
import { UserInputError } from '../../util/errors.ts';
import { formatReference, manifestReference, parseImageReference, type ImageReference } from '../reference.ts';
import { formatPlatform, normalizePlatform, parsePlatform, platformMatches, selectManifest } from '../platform.ts';
import { RegistryClient, type RegistryOptions } from '../registry/client.ts';
import { RegistryError } from '../registry/errors.ts';
import { classifyLayer, parseManifest, type ParsedManifest } from '../registry/manifest.ts';

export interface RegistrySourceOptions extends RegistryOptions {
  /** `os/arch[/variant]` or parsed; default linux/amd64 when the image is multi-platform. */
  platform?: string | Platform;
  /** Alias of `credentials` (the name `openSource` passes). */
  creds?: { username: string; password: string };
  /** Receives warnings (foreign layers skipped, platform mismatch, credential helpers); default: the logger or stderr. */
  onWarning?: (message: string) => void;
  /** Reuse a client (its token cache) across images. */
  client?: RegistryClient;
}

export interface RegistryImageSource extends ImageSource {
  readonly transport: 'registry';
  readonly imageReference: ImageReference;
  /** Digest of the index the image was selected from, when the reference named one. */
  readonly indexDigest?: string;
  readonly configDigest: string;
  readonly warnings: readonly string[];
}

/** Nested indexes are legal but rare; two levels covers what real registries serve. */
const MAX_INDEX_DEPTH = 2;

function makeClient(opts: RegistrySourceOptions, warn: (m: string) => void): RegistryClient {
  if (opts.client) return opts.client;
  const credentials = opts.credentials ?? opts.creds;
  return new RegistryClient({
    ...opts,
    ...(credentials ? { credentials } : {}),
    logger: { warn, ...(opts.logger?.debug ? { debug: opts.logger.debug.bind(opts.logger) } : {}) },
  });
}

function configPlatform(config: ImageConfig): Platform | undefined {
  if (!config.os || !config.architecture) return undefined;
  return normalizePlatform({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) });
}

function parseConfig(bytes: Buffer, where: string): ImageConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new RegistryError('invalid_manifest', `${where}: image config is not valid JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new RegistryError('invalid_manifest', `${where}: image config is not a JSON object`);
  return doc as ImageConfig;
}

/** Opens `ref` from its registry. Throws RegistryError / UserInputError with messages naming the image. */
export async function openRegistrySource(ref: ImageReference | string, opts: RegistrySourceOptions = {}): Promise<RegistryImageSource> {
  const image = typeof ref === 'string' ? parseImageReference(ref) : ref;
  const wanted = typeof opts.platform === 'string' ? parsePlatform(opts.platform) : opts.platform;
  const warnings: string[] = [];
  const warn = (m: string): void => {
    warnings.push(m);
    if (opts.onWarning) opts.onWarning(m);
    else if (opts.logger) opts.logger.warn(m);
    else process.stderr.write(`warning: ${m}\n`);
  };
  const client = makeClient(opts, warn);
  const name = formatReference(image);

  let fetched = await client.getManifest(image, manifestReference(image));
  let manifest: ParsedManifest = parseManifest(fetched.bytes, fetched.mediaType, name);
  let indexDigest: string | undefined;
  let platform: Platform | undefined;
  let platformReason: string | undefined;
  for (let depth = 0; manifest.kind === 'index'; depth++) {
    if (depth >= MAX_INDEX_DEPTH) throw new RegistryError('unsupported_manifest', `${name}: indexes nested more than ${MAX_INDEX_DEPTH} deep`);
    indexDigest ??= fetched.digest;
    const selection = selectManifest(manifest.raw, wanted);
    platform = selection.platform;
    platformReason = selection.reason;
    const child = manifest.manifests.find((d) => d.digest === selection.descriptor.digest);
    if (child && child.size > client.maxManifestBytes) {
      throw new RegistryError('manifest_too_large', `${name}: manifest ${child.digest} declares ${child.size} bytes, over the ${client.maxManifestBytes}-byte limit`);
    }
    fetched = await client.getManifest(image, selection.descriptor.digest);
    if (child && fetched.bytes.length !== child.size) {
      throw new RegistryError('size_mismatch', `${name}: manifest ${child.digest} is ${fetched.bytes.length} bytes, the index declares ${child.size}`);
    }
    manifest = parseManifest(fetched.bytes, fetched.mediaType, `${name} (${formatPlatform(platform)})`);
  }
  if (manifest.layers.length > client.maxLayers) {
    throw new RegistryError('too_many_layers', `${name}: ${manifest.layers.length} layers, over the limit of ${client.maxLayers}`);
  }
  const configBytes = await client.getBlobBytes(image, manifest.config.digest, manifest.config.size, client.maxConfigBytes, 'image config');
  const config = parseConfig(configBytes, name);
  const fromConfig = configPlatform(config);
  if (!platform) {
    platform = fromConfig;
    if (wanted && fromConfig && !platformMatches(wanted, fromConfig)) {
      warn(`${name} is a single-platform image for ${formatPlatform(fromConfig)}, not the requested ${formatPlatform(normalizePlatform(wanted))}; scanning it as is`);
    }
  }

  const diffIds = config.rootfs?.diff_ids ?? [];
  const diffIdsUsable = diffIds.length === manifest.layers.length;
  if (!diffIdsUsable && manifest.layers.length > 0) {
    warn(`${name}: config lists ${diffIds.length} diff_ids for ${manifest.layers.length} layers; uncompressed digests not checked`);
  }
  const layers: LayerDescriptor[] = [];
  manifest.layers.forEach((d, i) => {
    const kind = classifyLayer(d.mediaType);
    if (!kind) throw new RegistryError('unsupported_media_type', `${name}: layer ${d.digest} has media type ${d.mediaType}, which is not a filesystem layer`);
    if (kind.foreign) {
      // Windows base layers: their content is licensed for distribution from elsewhere (`urls`); a
      // Linux-focused scan skips them rather than fetching from third-party hosts.
      warn(`${name}: skipping foreign (non-distributable) layer ${d.digest}`);
      return;
    }
    const diffId = diffIdsUsable ? diffIds[i] : undefined;
    layers.push({ digest: d.digest, size: d.size, mediaType: d.mediaType, compression: kind.compression, ...(diffId ? { diffId } : {}) });
  });

  let closed = false;
  const openStreams = new Set<Readable>();
  const source: RegistryImageSource = {
    transport: 'registry',
    reference: name,
    imageReference: image,
    digest: fetched.digest,
    ...(indexDigest ? { indexDigest } : {}),
    ...(platform ? { platform } : {}),
    ...(platformReason ? { platformReason } : {}),
    manifestMediaType: manifest.mediaType,
    config,
    configDigest: manifest.config.digest,
    layers,
    warnings,
    async openLayer(index: number): Promise<Readable> {
      if (closed) throw new UserInputError(`${name}: source is closed`);
      const layer = layers[index];
      if (!layer) throw new RangeError(`${name}: no layer ${index} (image has ${layers.length})`);
      const stream = await client.openBlob(image, layer.digest, layer.size, `layer ${index}`);
      openStreams.add(stream);
      stream.once('close', () => openStreams.delete(stream));
      return stream;
    },
    async close(): Promise<void> {
      closed = true;
      // Frees the connections of layers nobody finished reading (an aborted walk).
      for (const s of openStreams) s.destroy();
      openStreams.clear();
    },
  };
  return source;
}

/**
 * The digest `ref` currently points at, by a manifest HEAD (no download): for a multi-platform
 * tag this is the index digest. A reference that already names a digest is returned as is.
 */
export async function resolveDigest(ref: ImageReference | string, opts: RegistrySourceOptions = {}): Promise<string> {
  const image = typeof ref === 'string' ? parseImageReference(ref) : ref;
  if (image.digest) return image.digest;
  const client = makeClient(opts, opts.onWarning ?? ((m) => process.stderr.write(`warning: ${m}\n`)));
  return client.resolveManifestDigest(image, manifestReference(image));
}
