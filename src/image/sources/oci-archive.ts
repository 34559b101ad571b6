/**
 * `oci-archive:FILE[:TAG]`: an OCI layout inside a tar. The tar's headers are indexed once and
 * blobs are streamed straight from their offsets in the archive; nothing is extracted to disk.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ImageSource } from '../types.ts';
import { UserInputError } from '../../util/errors.ts';
import { indexTarFile, type TarIndexEntry } from '../layers/tar-index.ts';
import { blobPath, openLayoutSource, type BlobStore, type OciOpenOptions } from './oci.ts';

/** Files of a tar archive, addressed by their normalised entry path. */
export class TarBlobStore implements BlobStore {
  constructor(readonly name: string, private readonly file: string, private readonly entries: Map<string, TarIndexEntry>) {}

  static async open(name: string, file: string): Promise<TarBlobStore> {
    return new TarBlobStore(name, file, await indexTarFile(file));
  }

  has(relPath: string): boolean {
    return this.entries.has(relPath);
  }

  entry(relPath: string): TarIndexEntry | undefined {
    return this.entries.get(relPath);
  }

  async readFile(relPath: string, maxBytes: number): Promise<Buffer | undefined> {
    const e = this.entries.get(relPath);
    if (!e) return undefined;
    if (e.size > maxBytes) throw new UserInputError(`${this.name}: ${relPath} is ${e.size} bytes, more than expected (${maxBytes})`, 'invalid_image');
    const handle = await open(this.file, 'r');
    try {
      const data = Buffer.alloc(e.size);
      const { bytesRead } = await handle.read(data, 0, e.size, e.offset);
      if (bytesRead !== e.size) throw new UserInputError(`${this.name}: ${relPath} is cut short`, 'invalid_archive');
      return data;
    } finally {
      await handle.close();
    }
  }

  async blobSize(digest: string): Promise<number | undefined> {
    return this.entries.get(blobPath(digest))?.size;
  }

  async openBlob(digest: string): Promise<Readable> {
    return this.openPath(blobPath(digest));
  }

  openPath(relPath: string): Readable {
    const e = this.entries.get(relPath);
    if (!e) throw new UserInputError(`${this.name}: ${relPath} is not in the archive`, 'invalid_image');
    if (e.size === 0) return Readable.from([]);
    return createReadStream(this.file, { start: e.offset, end: e.offset + e.size - 1, highWaterMark: 1 << 20 });
  }

  async close(): Promise<void> {}
}

export async function openOciArchive(file: string, tag: string | undefined, opts: OciOpenOptions = {}): Promise<ImageSource> {
  const abs = path.resolve(file);
  const name = `oci-archive:${abs}`;
  const store = await TarBlobStore.open(name, abs);
  if (!store.has('index.json')) throw new UserInputError(`${name}: not an OCI archive (no index.json in the tar)`, 'invalid_image');
  return openLayoutSource(store, 'oci-archive', tag ? `${name}:${tag}` : name, tag, opts);
}
