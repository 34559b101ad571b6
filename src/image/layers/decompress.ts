/**
 * Layer blob → tar bytes. The compression is read from the blob's first bytes; the media type is
 * only a hint (registries and tools mislabel layers, e.g. gzip blobs typed `.tar`), so when they
 * disagree the bytes win and a warning says so.
 */
import { createGunzip } from 'node:zlib';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { createRequire } from 'node:module';
import type { Compression } from '../types.ts';
import { PortwardenError, errorMessage } from '../../util/errors.ts';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/**
 * zlib's default 16 KiB output chunks cost ~45% throughput on layer-sized inputs (STACK.md): each
 * chunk is a round trip to the libuv threadpool. 256 KiB measured a little cheaper again than
 * 128 KiB here (bench/layers.bench.ts), at 256 KiB per layer in flight.
 */
export const GUNZIP_CHUNK_SIZE = 1 << 18;

export function detectCompression(head: Uint8Array): Compression {
  if (GZIP_MAGIC.every((b, i) => head[i] === b)) return 'gzip';
  if (ZSTD_MAGIC.every((b, i) => head[i] === b)) return 'zstd';
  return 'none';
}

/** Compression implied by an OCI / Docker layer media type. */
export function compressionFromMediaType(mediaType: string): Compression {
  if (mediaType.endsWith('+gzip') || mediaType.endsWith('.gzip') || mediaType === 'application/vnd.docker.image.rootfs.diff.tar.gzip') return 'gzip';
  if (mediaType.endsWith('+zstd') || mediaType.endsWith('.zstd')) return 'zstd';
  return 'none';
}

/** Resolves with the stream's first `n` bytes (fewer at end of stream) and puts them back. */
export async function peek(stream: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  while (have < n) {
    const chunk = stream.read() as Buffer | null;
    if (chunk !== null) {
      chunks.push(chunk);
      have += chunk.length;
      continue;
    }
    if (stream.readableEnded || stream.destroyed) break;
    const ended = await new Promise<boolean>((resolve, reject) => {
      const cleanup = (): void => {
        stream.off('readable', onReadable);
        stream.off('end', onEnd);
        stream.off('error', onError);
        stream.off('close', onEnd);
      };
      const onReadable = (): void => { cleanup(); resolve(false); };
      const onEnd = (): void => { cleanup(); resolve(true); };
      const onError = (err: Error): void => { cleanup(); reject(err); };
      stream.on('readable', onReadable);
      stream.on('end', onEnd);
      stream.on('error', onError);
      stream.on('close', onEnd);
    });
    if (ended) break;
  }
  const head = Buffer.concat(chunks);
  if (head.length) stream.unshift(head);
  return head;
}

type ZstdNapi = { DecompressStream: new () => Transform };
let zstdNapi: ZstdNapi | null | undefined;

function loadZstdNapi(): ZstdNapi | null {
  if (zstdNapi !== undefined) return zstdNapi;
  try {
    // A native module; it may be missing on platforms where it did not compile. fzstd covers that.
    zstdNapi = createRequire(import.meta.url)('zstd-napi') as ZstdNapi;
  } catch {
    zstdNapi = null;
  }
  return zstdNapi;
}

type FzstdStream = { push(chunk: Uint8Array, final?: boolean): void; ondata: (data: Uint8Array, final: boolean) => void };
type Fzstd = { Decompress: new (ondata?: (data: Uint8Array, final: boolean) => void) => FzstdStream };

/** Pure-JS zstd (fzstd, ~80 MB/s) as a Transform, used only when zstd-napi cannot load. */
class FzstdTransform extends Transform {
  private readonly decoder: FzstdStream;
  private finished = false;
  constructor(fzstd: Fzstd) {
    super();
    this.decoder = new fzstd.Decompress((data, final) => {
      if (data.length) this.push(Buffer.from(data.buffer, data.byteOffset, data.length));
      if (final) this.finished = true;
    });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try { this.decoder.push(chunk); done(); } catch (err) { done(err as Error); }
  }
  override _flush(done: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
      done(this.finished ? null : new Error('stream ended in the middle of a zstd frame'));
    } catch (err) { done(err as Error); }
  }
}

export function createZstdDecompressor(forceFallback = false): Transform {
  const native = forceFallback ? null : loadZstdNapi();
  if (native) return new native.DecompressStream();
  return new FzstdTransform(createRequire(import.meta.url)('fzstd') as Fzstd);
}

export function createDecompressor(compression: Compression): Transform | undefined {
  switch (compression) {
    case 'gzip': return createGunzip({ chunkSize: GUNZIP_CHUNK_SIZE });
    case 'zstd': return createZstdDecompressor();
    case 'none': return undefined;
  }
}

export class LayerFormatError extends PortwardenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('layer_corrupt', message, options);
    this.name = 'LayerFormatError';
  }
}

/** Rewrites a decompressor's terse error ("unexpected end of file") into one naming the layer. */
export function describeDecompressError(err: unknown, compression: Compression, layer: string): Error {
  if (err instanceof PortwardenError) return err;
  const msg = errorMessage(err);
  const truncated = /unexpected end|ended in (the )?middle|end of data/i.test(msg);
  return new LayerFormatError(
    `layer ${layer}: ${truncated ? 'truncated' : 'corrupt'} ${compression === 'none' ? 'tar' : `${compression} data`} (${msg})`,
    { cause: err },
  );
}
