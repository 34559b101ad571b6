/**
 * Scan targets in skopeo's transport syntax (containers-transports(5)):
 *
 *   oci:DIR[:TAG]                  OCI image layout directory; TAG = org.opencontainers.image.ref.name
 *   oci-archive:FILE[:TAG]         a tar of an OCI layout
 *   docker-archive:FILE[:REF|:@N]  `docker save` output; REF as in its RepoTags, @N = N-th image
 *   dir:ROOTFS                     an unpacked root filesystem
 *   sbom:FILE                      a stored SBOM (read elsewhere)
 *   docker://REF, or a bare REF    a registry image
 *
 * The path ends at the FIRST `:` after the transport, as skopeo splits on Linux (so a tag or a
 * docker reference may itself contain `:`, e.g. `docker-archive:a.tar:nginx:1.25`). A path that
 * itself contains `:` cannot be written this way in skopeo; `openSource` accepts it when the
 * whole string names an existing file and the first-colon split does not (documented extension).
 * A Windows drive prefix (`C:\`, `C:/`) is part of the path, as skopeo does on Windows.
 */
import { UserInputError } from '../util/errors.ts';
import { parseImageReference, type ImageReference } from './reference.ts';

export type Target =
  | { transport: 'oci'; path: string; tag?: string }
  | { transport: 'oci-archive'; path: string; tag?: string }
  | { transport: 'docker-archive'; path: string; tag?: string; index?: number }
  | { transport: 'dir'; path: string }
  | { transport: 'sbom'; path: string }
  | { transport: 'registry'; reference: ImageReference; input: string };

/** Transports other tools know that Portwarden does not read (yet); named so the error is specific. */
const UNSUPPORTED = ['docker-daemon', 'containers-storage', 'ostree', 'sif', 'tarball', 'podman', 'registry'];

/** An OCI ref name (image-spec annotations): alphanumerics and `-._:@/+=`, separators not doubled. */
const OCI_REF_NAME = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--|\/)[A-Za-z0-9]+)*$/;

function splitPathAndRest(spec: string): { path: string; rest: string | undefined } {
  const drive = /^[A-Za-z]:[\\/]/.test(spec) ? 2 : 0;
  const colon = spec.indexOf(':', drive);
  if (colon < 0) return { path: spec, rest: undefined };
  return { path: spec.slice(0, colon), rest: spec.slice(colon + 1) };
}

function requirePath(transport: string, path: string, input: string): string {
  if (path === '') throw new UserInputError(`invalid target "${input}": ${transport}: needs a path (${transport}:PATH${transport === 'dir' || transport === 'sbom' ? '' : '[:TAG]'})`, 'invalid_target');
  if (path.includes('\0')) throw new UserInputError(`invalid target: path contains a NUL byte`, 'invalid_target');
  return path;
}

export function parseTarget(input: string): Target {
  const target = input.trim();
  if (target === '') throw new UserInputError('empty target: give an image reference (nginx:1.25) or TRANSPORT:PATH (oci:./layout)', 'invalid_target');
  if (target.startsWith('docker://')) {
    const ref = target.slice('docker://'.length);
    return { transport: 'registry', reference: parseImageReference(ref), input: ref };
  }
  const colon = target.indexOf(':');
  const transport = colon > 0 ? target.slice(0, colon) : '';
  const spec = target.slice(colon + 1);
  switch (transport) {
    case 'oci':
    case 'oci-archive': {
      const { path, rest } = splitPathAndRest(spec);
      requirePath(transport, path, input);
      if (rest === undefined || rest === '') return { transport, path };
      if (!OCI_REF_NAME.test(rest)) {
        throw new UserInputError(`invalid target "${input}": "${rest}" is not a valid OCI reference name (letters, digits and -._:@/+=)`, 'invalid_target');
      }
      return { transport, path, tag: rest };
    }
    case 'docker-archive': {
      const { path, rest } = splitPathAndRest(spec);
      requirePath(transport, path, input);
      if (rest === undefined || rest === '') return { transport, path };
      if (rest.startsWith('@')) {
        const n = rest.slice(1);
        if (!/^\d{1,6}$/.test(n)) throw new UserInputError(`invalid target "${input}": @N must be an image index (docker-archive:FILE:@0)`, 'invalid_target');
        return { transport, path, index: Number(n) };
      }
      // Validates and normalises like docker: `nginx` means docker.io/library/nginx:latest.
      parseImageReference(rest);
      return { transport, path, tag: rest };
    }
    case 'dir':
    case 'sbom':
      return { transport, path: requirePath(transport, spec, input) };
    default:
      break;
  }
  if (UNSUPPORTED.includes(transport) && !target.slice(colon + 1).match(/^\d+\//)) {
    throw new UserInputError(
      `transport "${transport}:" is not supported; export the image first, e.g. \`skopeo copy ${target} oci-archive:image.tar\`, then scan oci-archive:image.tar`,
      'unsupported_transport',
    );
  }
  return { transport: 'registry', reference: parseImageReference(target), input: target };
}

/** The target back in transport syntax (`oci:/abs/dir:tag`, `docker://docker.io/library/nginx:latest`). */
export function formatTarget(t: Target): string {
  switch (t.transport) {
    case 'oci':
    case 'oci-archive':
      return t.tag ? `${t.transport}:${t.path}:${t.tag}` : `${t.transport}:${t.path}`;
    case 'docker-archive':
      return t.index !== undefined ? `${t.transport}:${t.path}:@${t.index}` : t.tag ? `${t.transport}:${t.path}:${t.tag}` : `${t.transport}:${t.path}`;
    case 'dir':
    case 'sbom':
      return `${t.transport}:${t.path}`;
    case 'registry': {
      const r = t.reference;
      return `docker://${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
    }
  }
}
