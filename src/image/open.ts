/** Opens any scan target as an ImageSource, dispatching on its transport. */
import { existsSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import type { ImageSource, Platform } from './types.ts';
import { UserInputError } from '../util/errors.ts';
import { parsePlatform } from './platform.ts';
import { parseTarget, type Target } from './target.ts';
import { openOciLayout } from './sources/oci.ts';
import { openOciArchive } from './sources/oci-archive.ts';
import { openDockerArchive } from './sources/docker-archive.ts';
import { openDirectory } from './sources/dir.ts';
import { openRegistrySource } from './sources/registry.ts';

export interface OpenOptions {
  /** `linux/arm64/v8` or a parsed platform; default linux/amd64 when the image is multi-platform. */
  platform?: string | Platform;
  creds?: { username: string; password: string };
  insecureRegistries?: string[];
  authByHost?: Record<string, { username: string; password: string }>;
  /** HTTP dispatcher for registry connections (the service passes one that checks addresses at connect time). */
  dispatcher?: Dispatcher;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

/**
 * skopeo cuts `oci:PATH:TAG` at the first colon, so a path containing `:` cannot be named. When
 * that split points nowhere but the unsplit string is an existing path, take the whole string.
 */
function preferExistingPath(target: Target): Target {
  if ((target.transport === 'oci' || target.transport === 'oci-archive' || target.transport === 'docker-archive') && target.tag !== undefined) {
    const whole = `${target.path}:${target.tag}`;
    if (!existsSync(target.path) && existsSync(whole)) return { transport: target.transport, path: whole };
  }
  return target;
}

export async function openSource(target: string | Target, opts: OpenOptions = {}): Promise<ImageSource> {
  const parsed = preferExistingPath(typeof target === 'string' ? parseTarget(target) : target);
  const platform = typeof opts.platform === 'string' ? parsePlatform(opts.platform) : opts.platform;
  const layoutOpts = { ...(platform ? { platform } : {}), ...(opts.onWarning ? { onWarning: opts.onWarning } : {}) };
  switch (parsed.transport) {
    case 'oci':
      return openOciLayout(parsed.path, parsed.tag, layoutOpts);
    case 'oci-archive':
      return openOciArchive(parsed.path, parsed.tag, layoutOpts);
    case 'docker-archive':
      return openDockerArchive(parsed.path, parsed.tag, parsed.index, layoutOpts);
    case 'dir':
      return openDirectory(parsed.path);
    case 'sbom':
      throw new UserInputError(`sbom:${parsed.path} is a stored SBOM, not an image; use it with \`portwarden scan\``, 'not_an_image');
    case 'registry': {
      const { platform: _platform, ...rest } = opts;
      return openRegistrySource(parsed.reference, { ...rest, ...(platform ? { platform } : {}) });
    }
  }
}
