import { PortwardenError } from '../../util/errors.ts';

/**
 * A failure talking to a registry. `code` values: unauthorized, denied, not_found, digest_mismatch,
 * size_mismatch, manifest_too_large, blob_too_large, too_many_layers, unsupported_manifest,
 * unsupported_media_type, registry_unavailable, registry_error, invalid_manifest.
 */
export class RegistryError extends PortwardenError {
  readonly status: number | undefined;
  constructor(code: string, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'RegistryError';
    this.status = options?.status;
  }
}
