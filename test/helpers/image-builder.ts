/**
 * Builds OCI / Docker v2 images in memory for tests: tars, compressed layers, configs, manifests,
 * indexes, and writes them as OCI layouts, OCI archives, `docker save` archives, or pushes them to
 * a registry with Portwarden's own registry client (src/image/registry/client.ts).
 *
 * Everything is deterministic (fixed mtimes, sorted JSON-free of timestamps unless given) so digests
 * are stable across runs.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import { pack as tarPack, type Header } from 'tar-stream';
import { compress as zstdCompress, decompress as zstdDecompress } from 'zstd-napi';
import { RegistryClient } from '../../src/image/registry/client.ts';
import type { ImageConfig } from '../../src/image/types.ts';
import type { TestRegistry } from './registry.ts';

export interface FileSpec {
  path: string;
  content?: string | Buffer;
  mode?: number;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';
  linkname?: string;
  uid?: number;
  gid?: number;
  mtime?: Date;
  devmajor?: number;
  devminor?: number;
}

export interface LayerSpec {
  files?: FileSpec[];
  compression?: 'gzip' | 'zstd' | 'none';
  /** use these bytes as the uncompressed tar instead of building one (hostile inputs) */
  rawTar?: Buffer;
  /** use these bytes as the blob as-is (e.g. truncated gzip); digest computed over them */
  rawBlob?: Buffer;
}

export interface ImageSpec {
  layers: LayerSpec[];
  config?: Partial<ImageConfig>;
  platform?: { os: string; architecture: string; variant?: string };
  mediaTypes?: 'oci' | 'docker';
}

export interface BuiltBlob {
  digest: string;
  mediaType: string;
  size: number;
  data: Buffer;
}

export interface BuiltImage {
  manifest: BuiltBlob;
  config: BuiltBlob;
  layers: BuiltBlob[];
  diffIds: string[];
  platform: { os: string; architecture: string; variant?: string };
}

export interface BuiltIndex {
  index: BuiltBlob;
  images: BuiltImage[];
}

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerTar: 'application/vnd.docker.image.rootfs.diff.tar',
} as const;

/** Fixed timestamp so rebuilt tars hash identically. */
const DEFAULT_MTIME = new Date('2024-01-01T00:00:00Z');

/** Uncompressed tar of each built layer blob, kept aside so docker archives need no decompression. */
const uncompressedTars = new WeakMap<BuiltBlob, Buffer>();

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function blob(mediaType: string, data: Buffer): BuiltBlob {
  return { digest: sha256(data), mediaType, size: data.length, data };
}

function jsonBlob(mediaType: string, value: unknown): BuiltBlob {
  return blob(mediaType, Buffer.from(JSON.stringify(value)));
}

const TAR_TYPES: Record<NonNullable<FileSpec['type']>, Header['type']> = {
  file: 'file',
  dir: 'directory',
  symlink: 'symlink',
  hardlink: 'link',
  char: 'character-device',
  block: 'block-device',
  fifo: 'fifo',
};

function defaultMode(type: NonNullable<FileSpec['type']>): number {
  if (type === 'dir') return 0o755;
  if (type === 'symlink') return 0o777;
  return 0o644;
}

/** Streams entries produced lazily (content may be read on demand) into one tar buffer. */
async function packEntries(entries: AsyncIterable<FileSpec> | Iterable<FileSpec>): Promise<Buffer> {
  const p = tarPack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const ended = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for await (const f of entries) {
    const type = f.type ?? 'file';
    const content = type === 'file' ? Buffer.from(f.content ?? '') : undefined;
    const header: Partial<Header> & { name: string } = {
      name: f.path,
      type: TAR_TYPES[type],
      mode: f.mode ?? defaultMode(type),
      uid: f.uid ?? 0,
      gid: f.gid ?? 0,
      mtime: f.mtime ?? DEFAULT_MTIME,
      size: content?.length ?? 0,
    };
    if (f.linkname !== undefined) header.linkname = f.linkname;
    if (f.devmajor !== undefined) header.devmajor = f.devmajor;
    if (f.devminor !== undefined) header.devminor = f.devminor;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (content) p.entry(header, content, done);
      else p.entry(header, done);
    });
  }
  p.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** Packs `files` into an uncompressed tar; long names go through PAX headers (tar-stream). */
export async function makeTar(files: FileSpec[]): Promise<Buffer> {
  return packEntries(files);
}

const gzipAsync = promisify(gzip);

async function compressTar(tar: Buffer, compression: 'gzip' | 'zstd' | 'none'): Promise<Buffer> {
  // Off the event loop (tests run registries, token servers and proxies in-process) and at level 1:
  // a 200 MB rootfs compresses in seconds instead of ~20 s, and the ratio does not matter to tests.
  if (compression === 'gzip') return gzipAsync(tar, { level: 1 });
  if (compression === 'zstd') return zstdCompress(tar);
  return tar;
}

function decompressBlob(data: Buffer, compression: 'gzip' | 'zstd' | 'none'): Buffer | undefined {
  try {
    if (compression === 'gzip') return gunzipSync(data);
    if (compression === 'zstd') return zstdDecompress(data);
    return data;
  } catch {
    return undefined;
  }
}

function layerMediaType(compression: 'gzip' | 'zstd' | 'none', kind: 'oci' | 'docker'): string {
  if (kind === 'docker') {
    if (compression === 'gzip') return MEDIA_TYPES.dockerLayerGzip;
    // Docker v2 has no zstd layer type; BuildKit puts the OCI one in Docker manifests, so do we.
    if (compression === 'zstd') return MEDIA_TYPES.ociLayerZstd;
    return MEDIA_TYPES.dockerLayerTar;
  }
  if (compression === 'gzip') return MEDIA_TYPES.ociLayerGzip;
  if (compression === 'zstd') return MEDIA_TYPES.ociLayerZstd;
  return MEDIA_TYPES.ociLayerTar;
}

/** Builds one image: layers, a config with `rootfs.diff_ids` and one history entry per layer, a manifest. */
export async function buildImage(spec: ImageSpec): Promise<BuiltImage> {
  const kind = spec.mediaTypes ?? 'oci';
  const layers: BuiltBlob[] = [];
  const diffIds: string[] = [];
  for (const layer of spec.layers) {
    const compression = layer.compression ?? 'gzip';
    let tar = layer.rawTar ?? (layer.rawBlob ? undefined : await makeTar(layer.files ?? []));
    const data = layer.rawBlob ?? (await compressTar(tar ?? Buffer.alloc(0), compression));
    // A raw blob that does not decompress (deliberately corrupt) gets the blob digest as its diff id:
    // there is no true one, and the manifest still needs a value.
    tar ??= decompressBlob(data, compression);
    const built = blob(layerMediaType(compression, kind), data);
    if (tar) uncompressedTars.set(built, tar);
    layers.push(built);
    diffIds.push(tar ? sha256(tar) : built.digest);
  }
  const platform = spec.platform ?? {
    os: spec.config?.os ?? 'linux',
    architecture: spec.config?.architecture ?? 'amd64',
    ...(spec.config?.variant ? { variant: spec.config.variant } : {}),
  };
  const config: ImageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created: DEFAULT_MTIME.toISOString(),
    config: {},
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((_, i) => ({ created: DEFAULT_MTIME.toISOString(), created_by: `portwarden-test layer ${i}` })),
    ...spec.config,
  };
  const configBlob = jsonBlob(kind === 'oci' ? MEDIA_TYPES.ociConfig : MEDIA_TYPES.dockerConfig, config);
  const manifestMediaType = kind === 'oci' ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest;
  const manifest = jsonBlob(manifestMediaType, {
    schemaVersion: 2,
    mediaType: manifestMediaType,
    config: descriptor(configBlob),
    layers: layers.map(descriptor),
  });
  return { manifest, config: configBlob, layers, diffIds, platform };
}

function descriptor(b: BuiltBlob): { mediaType: string; digest: string; size: number } {
  return { mediaType: b.mediaType, digest: b.digest, size: b.size };
}

/** Builds a multi-platform index (OCI image index or Docker manifest list) over `images`. */
export async function buildIndex(images: BuiltImage[], mediaTypes: 'oci' | 'docker' = 'oci'): Promise<BuiltIndex> {
  const mediaType = mediaTypes === 'oci' ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.dockerManifestList;
  const index = jsonBlob(mediaType, {
    schemaVersion: 2,
    mediaType,
    manifests: images.map((img) => ({ ...descriptor(img.manifest), platform: img.platform })),
  });
  return { index, images };
}

// glibc's encoding of dev_t (sys/sysmacros.h).
function devMajor(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
}
function devMinor(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
}

async function* walkDirectory(root: string): AsyncGenerator<FileSpec> {
  const seenInodes = new Map<string, string>();
  async function* visit(rel: string): AsyncGenerator<FileSpec> {
    const names = (await readdir(path.join(root, rel))).sort();
    for (const name of names) {
      const relPath = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, relPath);
      const st = await lstat(abs);
      const base = { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, mtime: st.mtime };
      if (st.isDirectory()) {
        yield { ...base, path: `${relPath}/`, type: 'dir' };
        yield* visit(relPath);
      } else if (st.isSymbolicLink()) {
        yield { ...base, path: relPath, type: 'symlink', linkname: await readlink(abs) };
      } else if (st.isFile()) {
        const inodeKey = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? seenInodes.get(inodeKey) : undefined;
        if (first !== undefined) {
          yield { ...base, path: relPath, type: 'hardlink', linkname: first };
        } else {
          if (st.nlink > 1) seenInodes.set(inodeKey, relPath);
          yield { ...base, path: relPath, type: 'file', content: await readFile(abs) };
        }
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        yield {
          ...base,
          path: relPath,
          type: st.isCharacterDevice() ? 'char' : 'block',
          devmajor: devMajor(st.rdev),
          devminor: devMinor(st.rdev),
        };
      } else if (st.isFIFO()) {
        yield { ...base, path: relPath, type: 'fifo' };
      }
      // Sockets cannot be represented in a tar; docker skips them too.
    }
  }
  yield* visit('');
}

/**
 * Packs a real directory (e.g. a debootstrap rootfs) into a layer, preserving symlinks, hard links
 * (same inode → tar hard link to the first path seen), modes, owners, mtimes and device nodes.
 * The tar is built while walking, so only one file's content is held besides the tar itself.
 */
export async function layerFromDirectory(dir: string, opts?: { compression?: 'gzip' | 'zstd' | 'none' }): Promise<LayerSpec> {
  const rawTar = await packEntries(walkDirectory(dir));
  return { rawTar, compression: opts?.compression ?? 'gzip' };
}

function isIndex(image: BuiltImage | BuiltIndex): image is BuiltIndex {
  return 'index' in image;
}

function allBlobs(image: BuiltImage | BuiltIndex): BuiltBlob[] {
  const images = isIndex(image) ? image.images : [image];
  const out = new Map<string, BuiltBlob>();
  if (isIndex(image)) out.set(image.index.digest, image.index);
  for (const img of images) {
    for (const b of [img.manifest, img.config, ...img.layers]) out.set(b.digest, b);
  }
  return [...out.values()];
}

function topDescriptor(image: BuiltImage | BuiltIndex): BuiltBlob {
  return isIndex(image) ? image.index : image.manifest;
}

function layoutFiles(image: BuiltImage | BuiltIndex, tag?: string): { name: string; data: Buffer }[] {
  const top = topDescriptor(image);
  const indexJson = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: [
      {
        ...descriptor(top),
        ...(tag ? { annotations: { 'org.opencontainers.image.ref.name': tag } } : {}),
      },
    ],
  };
  return [
    { name: 'oci-layout', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    { name: 'index.json', data: Buffer.from(JSON.stringify(indexJson)) },
    ...allBlobs(image).map((b) => ({ name: `blobs/sha256/${b.digest.slice('sha256:'.length)}`, data: b.data })),
  ];
}

/** Writes an OCI image layout: `oci-layout`, `index.json` (ref name annotation when tagged), `blobs/sha256/…`. */
export async function writeOciLayout(dir: string, image: BuiltImage | BuiltIndex, tag?: string): Promise<void> {
  await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const f of layoutFiles(image, tag)) await writeFile(path.join(dir, f.name), f.data);
}

async function writeTarFile(file: string, entries: { name: string; data: Buffer }[]): Promise<void> {
  const dirs = new Set<string>();
  for (const e of entries) {
    const parts = e.name.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(`${parts.slice(0, i).join('/')}/`);
  }
  const specs: FileSpec[] = [
    ...[...dirs].sort().map((d): FileSpec => ({ path: d, type: 'dir' })),
    ...entries.map((e): FileSpec => ({ path: e.name, content: e.data })),
  ];
  await writeFile(file, await makeTar(specs));
}

/** Writes a tar of an OCI image layout (what `skopeo copy … oci-archive:FILE` produces). */
export async function writeOciArchive(file: string, image: BuiltImage | BuiltIndex, tag?: string): Promise<void> {
  await writeTarFile(file, layoutFiles(image, tag));
}

function uncompressedLayer(b: BuiltBlob): Buffer {
  const known = uncompressedTars.get(b);
  if (known) return known;
  throw new Error(`layer ${b.digest} has no readable uncompressed tar; a docker archive cannot hold it`);
}

/**
 * Writes a `docker save` archive.
 *
 * Default: Docker ≥ 25 layout — an OCI layout (`oci-layout`, `index.json`, `blobs/sha256/…`) plus
 * `manifest.json` = `[{Config: "blobs/sha256/<config>", RepoTags, Layers: ["blobs/sha256/<diffid>", …]}]`
 * and `repositories`; layers are stored UNCOMPRESSED, named by their diff id, and the OCI manifest
 * in `blobs/` lists them as `application/vnd.oci.image.layer.v1.tar`.
 *
 * `legacyLayout: true`: Docker < 25 layout — `<id>/layer.tar`, `<id>/VERSION`, `<id>/json`,
 * `<config hex>.json`, and `manifest.json` whose Layers are `<id>/layer.tar`.
 * A reader should follow `manifest.json` paths in both cases, never guess names.
 */
export async function writeDockerArchive(
  file: string,
  image: BuiltImage,
  repoTags: string[],
  opts?: { legacyLayout?: boolean },
): Promise<void> {
  const tars = image.layers.map(uncompressedLayer);
  const configHex = image.config.digest.slice('sha256:'.length);
  const repositories: Record<string, Record<string, string>> = {};
  const lastLayerHex = image.diffIds.at(-1)?.slice('sha256:'.length) ?? configHex;
  for (const rt of repoTags) {
    const colon = rt.lastIndexOf(':');
    const repo = colon > rt.lastIndexOf('/') ? rt.slice(0, colon) : rt;
    const tag = colon > rt.lastIndexOf('/') ? rt.slice(colon + 1) : 'latest';
    (repositories[repo] ??= {})[tag] = lastLayerHex;
  }
  const entries: { name: string; data: Buffer }[] = [];
  if (opts?.legacyLayout) {
    const layerPaths: string[] = [];
    tars.forEach((tar, i) => {
      // Docker < 25 named layer dirs by a chain-derived v1 id; any unique hex works for readers.
      const id = sha256(`${image.diffIds.slice(0, i + 1).join(' ')}`).slice('sha256:'.length);
      layerPaths.push(`${id}/layer.tar`);
      entries.push({ name: `${id}/VERSION`, data: Buffer.from('1.0') });
      entries.push({ name: `${id}/json`, data: Buffer.from(JSON.stringify({ id })) });
      entries.push({ name: `${id}/layer.tar`, data: tar });
    });
    entries.push({ name: `${configHex}.json`, data: image.config.data });
    entries.push({ name: 'manifest.json', data: Buffer.from(JSON.stringify([{ Config: `${configHex}.json`, RepoTags: repoTags, Layers: layerPaths }])) });
    entries.push({ name: 'repositories', data: Buffer.from(JSON.stringify(repositories)) });
    await writeTarFile(file, entries);
    return;
  }
  const layerBlobs = tars.map((tar) => blob(MEDIA_TYPES.ociLayerTar, tar));
  const config = blob(MEDIA_TYPES.ociConfig, image.config.data);
  const manifest = jsonBlob(MEDIA_TYPES.ociManifest, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: descriptor(config),
    layers: layerBlobs.map(descriptor),
  });
  const ociIndex = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: [
      {
        ...descriptor(manifest),
        annotations: {
          ...(repoTags[0] ? { 'io.containerd.image.name': repoTags[0], 'org.opencontainers.image.ref.name': repoTags[0].split(':').at(-1) ?? 'latest' } : {}),
        },
      },
    ],
  };
  const hex = (d: string): string => d.slice('sha256:'.length);
  entries.push({ name: 'oci-layout', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) });
  entries.push({ name: 'index.json', data: Buffer.from(JSON.stringify(ociIndex)) });
  for (const b of [manifest, config, ...layerBlobs]) entries.push({ name: `blobs/sha256/${hex(b.digest)}`, data: b.data });
  entries.push({
    name: 'manifest.json',
    data: Buffer.from(
      JSON.stringify([{ Config: `blobs/sha256/${configHex}`, RepoTags: repoTags, Layers: layerBlobs.map((b) => `blobs/sha256/${hex(b.digest)}`) }]),
    ),
  });
  entries.push({ name: 'repositories', data: Buffer.from(JSON.stringify(repositories)) });
  await writeTarFile(file, entries);
}

/**
 * Pushes an image or index to `registry` as `repository:reference` (blobs first, then child
 * manifests by digest, then the top manifest by tag). Returns the digest of the top manifest.
 */
export async function pushImage(
  registry: TestRegistry | string,
  repository: string,
  reference: string,
  image: BuiltImage | BuiltIndex,
  creds?: { username: string; password: string },
): Promise<{ digest: string }> {
  const host = typeof registry === 'string' ? registry : registry.host;
  const auth = creds ?? (typeof registry !== 'string' && registry.username && registry.password ? { username: registry.username, password: registry.password } : undefined);
  const client = await pushClient(host, repository, auth);
  const images = isIndex(image) ? image.images : [image];
  for (const img of images) {
    for (const b of [img.config, ...img.layers]) await client.pushBlob(b);
    if (isIndex(image)) await client.pushManifest(img.manifest, img.manifest.digest);
  }
  const top = topDescriptor(image);
  await client.pushManifest(top, reference);
  return { digest: top.digest };
}

interface PushClient {
  pushBlob(b: BuiltBlob): Promise<void>;
  pushManifest(b: BuiltBlob, reference: string): Promise<void>;
}

async function pushClient(host: string, repository: string, auth?: { username: string; password: string }): Promise<PushClient> {
  const client = new RegistryClient({
    ...(auth ? { credentials: auth } : {}),
    // Isolated from the developer's environment and Docker config; test registries are loopback (plain HTTP).
    env: {},
    dockerConfigPath: '/nonexistent/portwarden-test/config.json',
    logger: { warn: () => {} },
  });
  const repo = { registry: host, repository };
  return {
    pushBlob: async (b) => {
      await client.pushBlob(repo, b.digest, b.data);
    },
    pushManifest: async (b, reference) => {
      await client.pushManifest(repo, reference, b.data, b.mediaType);
    },
  };
}
