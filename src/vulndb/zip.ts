/**
 * The advisory import's view of the shared ZIP reader (src/util/zip.ts). Kept as a re-export so
 * import.ts and update.ts need no edit; new code imports src/util/zip.ts directly.
 */
export {
  ZipFormatError, bufferSource, crc32, fileSource, listZipEntries, readZipEntry,
  type ByteSource, type ZipEntry as ZipEntryInfo,
} from '../util/zip.ts';
