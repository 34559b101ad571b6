/**
 * Image references (`nginx`, `ghcr.io/org/app:1.2`, `localhost:5000/a/b@sha256:…`) with Docker's
 * normalisation rules, as in distribution/reference: a first path component is a registry host
 * when it contains `.` or `:` or is `localhost`; otherwise the image lives on Docker Hub, and a
 * single-component Hub name gets the `library/` prefix.
 */
import { UserInputError } from '../util/errors.ts';

export interface ImageReference {
  /** Registry as users write it: `docker.io`, `ghcr.io`, `localhost:5000`, `[::1]:5000`. */
  registry: string;
  /** Host (and port) the Distribution API is served on: `registry-1.docker.io` for Docker Hub. */
  apiHost: string;
  /** Repository path, lower case: `library/nginx`. */
  repository: string;
  /** Tag; `latest` when neither tag nor digest was given. */
  tag?: string;
  /** `algorithm:hex`; when present it wins over the tag for pulling. */
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
export const DOCKER_HUB_API = 'registry-1.docker.io';

/** distribution/reference's NameTotalLengthMax. */
const MAX_NAME_LENGTH = 255;
const MAX_TAG_LENGTH = 128;
const MAX_INPUT_LENGTH = 4096;

const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[0-9a-fA-F:.]+(?:%[0-9A-Za-z]+)?\]$/;
const PORT = /^[0-9]{1,5}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]*$/;
const DIGEST_HEX: Record<string, number> = { sha256: 64, sha512: 128 };

function fail(input: string, why: string): never {
  throw new UserInputError(`invalid image reference "${truncate(input)}": ${why}`, 'invalid_reference');
}

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** Validates `algorithm:hex`; only algorithms Portwarden can verify are accepted. */
export function parseDigest(digest: string, input = digest): string {
  const colon = digest.indexOf(':');
  if (colon <= 0) fail(input, `digest "${truncate(digest)}" must look like sha256:<64 hex digits>`);
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const expected = DIGEST_HEX[algorithm];
  if (expected === undefined) fail(input, `unsupported digest algorithm "${truncate(algorithm)}" (sha256 or sha512)`);
  if (hex.length !== expected || !/^[0-9a-f]+$/.test(hex)) {
    fail(input, `digest must be ${algorithm}: followed by ${expected} lower-case hex digits`);
  }
  return digest;
}

function validateHost(input: string, host: string): void {
  let name = host;
  const bracketEnd = host.startsWith('[') ? host.indexOf(']') : -1;
  let port: string | undefined;
  if (bracketEnd > 0) {
    name = host.slice(0, bracketEnd + 1);
    const rest = host.slice(bracketEnd + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) fail(input, `invalid registry host "${host}"`);
      port = rest.slice(1);
    }
    if (!IPV6_HOST.test(name)) fail(input, `invalid registry host "${host}"`);
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) {
      name = host.slice(0, colon);
      port = host.slice(colon + 1);
    }
    if (name === '' || !name.split('.').every((c) => DOMAIN_COMPONENT.test(c))) {
      fail(input, `invalid registry host "${host}"`);
    }
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) > 65535)) {
    fail(input, `invalid port in registry host "${host}"`);
  }
}

function isRegistryHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component.startsWith('[');
}

/**
 * Parses and normalises an image reference.
 * `nginx` → docker.io/library/nginx:latest; `index.docker.io/x/y` → docker.io/x/y:latest;
 * tag and digest may both be given (`app:1@sha256:…`), the digest wins when pulling.
 * Throws UserInputError naming what is wrong.
 */
export function parseImageReference(input: string): ImageReference {
  if (input.length === 0) fail(input, 'empty');
  if (input.length > MAX_INPUT_LENGTH) fail(input, `longer than ${MAX_INPUT_LENGTH} characters`);
  if (/[\s\u0000-\u001f\u007f]/.test(input)) fail(input, 'contains whitespace or control characters');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) fail(input, 'a URL scheme is not part of an image reference (drop "https://")');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = parseDigest(rest.slice(at + 1), input);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/') && !rest.slice(lastColon).includes(']')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (tag === '') fail(input, 'empty tag after ":"');
    if (tag.length > MAX_TAG_LENGTH) fail(input, `tag longer than ${MAX_TAG_LENGTH} characters`);
    if (!TAG.test(tag)) fail(input, `invalid tag "${truncate(tag)}" (letters, digits, "_", "." and "-", not starting with "." or "-")`);
  }
  if (rest === '') fail(input, 'missing repository name');

  const slash = rest.indexOf('/');
  let registry = DOCKER_HUB;
  let path = rest;
  if (slash >= 0 && isRegistryHost(rest.slice(0, slash))) {
    registry = rest.slice(0, slash);
    path = rest.slice(slash + 1);
    validateHost(input, registry);
  }
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API) registry = DOCKER_HUB;
  if (path === '') fail(input, 'missing repository name after the registry host');
  const components = path.split('/');
  for (const c of components) {
    if (c === '') fail(input, 'empty path component (no leading, trailing or double "/")');
    if (c !== c.toLowerCase()) fail(input, `repository name must be lower case ("${truncate(c)}")`);
    if (!PATH_COMPONENT.test(c)) {
      fail(input, `invalid repository path component "${truncate(c)}" (lower-case letters and digits, separated by ".", "_", "__" or "-")`);
    }
  }
  if (registry === DOCKER_HUB && components.length === 1) path = `library/${path}`;
  const fullName = `${registry}/${path}`;
  if (fullName.length > MAX_NAME_LENGTH) fail(input, `repository name longer than ${MAX_NAME_LENGTH} characters`);

  const ref: ImageReference = { registry, apiHost: registry === DOCKER_HUB ? DOCKER_HUB_API : registry, repository: path };
  if (tag !== undefined) ref.tag = tag;
  else if (digest === undefined) ref.tag = 'latest';
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** Canonical form: `docker.io/library/nginx:latest`, `host:5000/a/b:t@sha256:…`. */
export function formatReference(ref: ImageReference): string {
  let s = `${ref.registry}/${ref.repository}`;
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** What to ask the registry for: the digest when known, else the tag. */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}
