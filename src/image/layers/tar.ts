/**
 * One layer blob → a stream of normalised tar entries. Decompression is picked from the bytes,
 * sizes are metered against the walk limits as they flow, and every failure becomes an error
 * naming the layer digest. Nothing is written to disk.
 */
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import tarStream from 'tar-stream';
import type { Header } from 'tar-stream';
import type { Compression, EntryType } from '../types.ts';
import { PortwardenError, errorMessage } from '../../util/errors.ts';
import { LayerFormatError, createDecompressor, describeDecompressError, detectCompression, peek } from './decompress.ts';
import type { WalkLimits } from './limits.ts';

export class LimitExceededError extends PortwardenError {
  constructor(message: string) {
    super('limit_exceeded', message);
    this.name = 'LimitExceededError';
  }
}

/** Counts bytes flowing through and lets a check veto them (size limits, bomb guard). */
class Meter extends Transform {
  bytes = 0;
  constructor(private readonly check: (bytes: number, delta: number) => Error | undefined) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    const err = this.check(this.bytes, chunk.length);
    if (err) done(err);
    else done(null, chunk);
  }
}

/** A tar-stream entry (a streamx Readable): header plus content chunks. */
export interface TarEntry extends AsyncIterable<Buffer> {
  header: Header;
  resume(): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  readonly destroyed: boolean;
}

export interface LayerStreamOptions {
  digest: string;
  mediaTypeCompression: Compression;
  limits: WalkLimits;
  /** Called with each chunk size of decompressed data; may throw LimitExceededError for image-wide limits. */
  onUncompressed?: (delta: number) => void;
  onWarning?: (message: string) => void;
}

export interface OpenedLayerTar {
  entries: AsyncIterable<TarEntry>;
  compression: Compression;
  compressedBytes(): number;
  uncompressedBytes(): number;
  /** The error that ended the stream, rewritten to name the layer (call from a catch). */
  explain(err: unknown): Error;
  destroy(): void;
}

export async function openLayerTar(raw: Readable, opts: LayerStreamOptions): Promise<OpenedLayerTar> {
  const { digest, limits } = opts;
  const head = await peek(raw, 4);
  const compression = detectCompression(head);
  if (compression !== opts.mediaTypeCompression) {
    opts.onWarning?.(`layer ${digest}: media type says ${opts.mediaTypeCompression === 'none' ? 'uncompressed' : opts.mediaTypeCompression} but the content is ${compression === 'none' ? 'not compressed' : compression}; reading it as ${compression === 'none' ? 'tar' : compression}`);
  }
  let failure: Error | undefined;
  const compressed = new Meter(() => undefined);
  const decompressor = createDecompressor(compression);
  const uncompressed = new Meter((bytes, delta) => {
    try {
      opts.onUncompressed?.(delta);
    } catch (err) {
      return err as Error;
    }
    if (compression !== 'none' && bytes >= limits.ratioCheckMinBytes) {
      // zlib reports the input it has actually consumed; read-ahead (1 MiB chunks) would understate the ratio.
      const consumed = Math.max((decompressor as { bytesWritten?: number } | undefined)?.bytesWritten ?? compressed.bytes, 1);
      if (bytes > limits.maxCompressionRatio * consumed) {
        return new LimitExceededError(
          `possible decompression bomb in layer ${digest}: ${bytes} bytes from ${consumed} compressed (ratio over ${limits.maxCompressionRatio})`,
        );
      }
    }
    return undefined;
  });
  if (decompressor) {
    decompressor.on('error', (err) => { failure ??= describeDecompressError(err, compression, digest); });
  }
  uncompressed.on('error', (err) => { failure ??= err instanceof PortwardenError ? err : new LayerFormatError(`layer ${digest}: ${errorMessage(err)}`); });
  raw.on('error', (err) => { failure ??= err instanceof PortwardenError ? err : new PortwardenError('layer_read_failed', `layer ${digest}: ${errorMessage(err)}`, { cause: err }); });
  const extract = tarStream.extract();
  const stages: NodeJS.ReadWriteStream[] = [compressed];
  if (decompressor) stages.push(decompressor);
  stages.push(uncompressed);
  // Errors surface through the extract iterator; `failure` keeps the first, most specific one.
  pipeline([raw, ...stages, extract] as unknown as [Readable, NodeJS.WritableStream], () => undefined);
  return {
    entries: extract as unknown as AsyncIterable<TarEntry>,
    compression,
    compressedBytes: () => compressed.bytes,
    uncompressedBytes: () => uncompressed.bytes,
    explain(err: unknown): Error {
      if (failure) return failure;
      if (err instanceof PortwardenError) return err;
      const msg = errorMessage(err);
      return new LayerFormatError(`layer ${digest}: ${/unexpected end/i.test(msg) ? 'truncated' : 'corrupt'} tar (${msg})`, { cause: err });
    },
    destroy(): void {
      raw.destroy();
      extract.destroy();
    },
  };
}

/** tar-stream's header type → our entry type; undefined for types we do not model (sparse etc. are rare in layers). */
export function entryTypeOf(header: Pick<Header, 'type'>): EntryType | undefined {
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory': return 'dir';
    case 'symlink': return 'symlink';
    case 'link': return 'hardlink';
    case 'character-device': return 'char';
    case 'block-device': return 'block';
    case 'fifo': return 'fifo';
    default: return undefined;
  }
}

/** Reads an entry fully, refusing more than `expected` bytes (the header's size). */
export async function readEntry(entry: TarEntry, expected: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of entry) {
    total += chunk.length;
    if (total > expected) throw new Error(`entry larger than its header size ${expected}`);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
}

/**
 * Discards an entry's data; tar-stream yields the next entry only once this one is drained.
 * Iterating (rather than waiting for 'end') also returns at once for an entry that already ended.
 */
export async function skipEntry(entry: TarEntry): Promise<void> {
  for await (const _chunk of entry) { /* drain */ }
}
