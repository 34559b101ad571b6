/**
 * Decides whether the service may scan a target: a registry image reference whose registry is
 * allowed and does not point into private, loopback, link-local or metadata address space (SSRF).
 * Every resolved address is checked; an explicit allow-list entry lifts the address check for that
 * registry (that is how an internal registry is permitted). The same policy is applied again at
 * connect time, to the addresses actually connected to (guarded-dispatcher.ts), so a DNS answer that
 * changes between this check and the connection (DNS rebinding) or a redirect cannot reach inside.
 */
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { UserInputError, errorMessage } from '../util/errors.ts';
import { parseImageReference } from '../image/reference.ts';

export const DOCKER_HUB = 'docker.io';
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export interface ParsedTarget {
  /** Registry host[:port], lowercased; `docker.io` for Docker Hub. */
  registry: string;
  /** Hostname without port (brackets removed for IPv6). */
  hostname: string;
  repository: string;
  tag?: string;
  digest?: string;
}


/**
 * Parses a registry image reference with the project's parser (src/image/reference.ts).
 * Transport prefixes (`oci:`, `dir:`, archives) are rejected: the service scans registries only.
 */
export function parseRegistryTarget(target: string): ParsedTarget {
  if (target.length > 512) throw new UserInputError('target: longer than 512 characters', 'invalid_target');
  if (/^(oci|oci-archive|docker-archive|dir|sbom|docker|docker-daemon|containers-storage|registry):(?!\d)/i.test(target)) {
    throw new UserInputError('target: only registry image references can be scanned through the API', 'target_not_allowed');
  }
  let ref;
  try {
    ref = parseImageReference(target);
  } catch (err) {
    throw new UserInputError(`target: ${errorMessage(err)}`, 'invalid_target');
  }
  const registry = ref.registry.toLowerCase();
  return {
    registry,
    // The host actually contacted (registry-1.docker.io for Docker Hub) is the one that must be public.
    hostname: hostnameOf(ref.apiHost.toLowerCase()),
    repository: ref.repository,
    ...(ref.tag ? { tag: ref.tag } : {}),
    ...(ref.digest ? { digest: ref.digest } : {}),
  };
}

function hostnameOf(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(1, registry.indexOf(']'));
  const i = registry.lastIndexOf(':');
  return i >= 0 ? registry.slice(0, i) : registry;
}

const BLOCKED = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) BLOCKED.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['100::', 64], ['2001:db8::', 32], ['2001::', 23],
] as const) BLOCKED.addSubnet(net, bits, 'ipv6');

/** True when the address is not publicly routable (private, loopback, link-local incl. 169.254.169.254, ULA, multicast…). */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family !== 6) return true;
  const lower = address.toLowerCase();
  // IPv4-mapped, IPv4-compatible and NAT64 forms reach the embedded IPv4 address.
  const embedded = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (embedded?.[1]) return BLOCKED.check(embedded[1], 'ipv4');
  const hexMapped = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hexMapped?.[1] && hexMapped[2]) {
    const hi = parseInt(hexMapped[1], 16);
    const lo = parseInt(hexMapped[2], 16);
    return BLOCKED.check(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, 'ipv4');
  }
  return BLOCKED.check(lower, 'ipv6');
}

export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export interface GuardOptions {
  allowRegistries: string[];
  resolver?: Resolver;
  /** Address policy: true for addresses that may not be reached unless allow-listed (default isNonPublicAddress). */
  isNonPublic?: (address: string) => boolean;
}

/** A connection refused by the address policy (never retried by the registry client: the code is not a network error). */
export class AddressRefusedError extends Error {
  readonly code = 'ERR_ADDRESS_REFUSED';
}

/** True when `err` or one of its causes is an AddressRefusedError (the registry client wraps network errors). */
export function isAddressRefusal(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    if ((e as { code?: unknown }).code === 'ERR_ADDRESS_REFUSED') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export type GuardVerdict =
  | { ok: true; target: ParsedTarget }
  | { ok: false; reason: string }
  /** DNS did not answer: not proof of anything; the caller decides (API accepts, worker retries). */
  | { ok: 'unresolved'; target: ParsedTarget; reason: string };

export class TargetGuard {
  private readonly allowed: Set<string>;
  private readonly resolver: Resolver;
  readonly isNonPublic: (address: string) => boolean;

  constructor(opts: GuardOptions) {
    this.allowed = new Set(opts.allowRegistries.map((r) => normaliseRegistry(r)));
    this.resolver = opts.resolver ?? systemResolver;
    this.isNonPublic = opts.isNonPublic ?? isNonPublicAddress;
  }

  /** True when an allow-list entry names this host, with or without this port: any address of it may be reached. */
  allowsAnyAddress(hostname: string, port: number): boolean {
    if (this.allowed.size === 0) return false;
    const name = hostname.toLowerCase();
    const host = isIP(name) === 6 ? `[${name}]` : name;
    const forms = HUB_ALIASES.has(name) ? [DOCKER_HUB, `${DOCKER_HUB}:${port}`] : [];
    return [host, `${host}:${port}`, ...forms].some((f) => this.allowed.has(f));
  }

  /**
   * Resolves a host for a connection and checks every address; throws AddressRefusedError when one
   * is not allowed, so the connection is made only to addresses that passed (nothing is re-resolved).
   */
  async resolveForConnect(hostname: string): Promise<string[]> {
    if (hostname === 'localhost' || hostname.endsWith('.localhost')) throw new AddressRefusedError(`refusing to connect to ${hostname}: loopback; allow it explicitly with --allow-registry`);
    const addresses = await this.resolver(hostname);
    this.assertAddressesAllowed(hostname, addresses);
    return addresses;
  }

  /** Throws AddressRefusedError naming the first address the policy refuses. */
  assertAddressesAllowed(hostname: string, addresses: string[]): void {
    const bad = addresses.find((a) => this.isNonPublic(a));
    if (bad !== undefined) throw new AddressRefusedError(`refusing to connect to ${hostname}: it resolves to non-public address ${bad}; allow it explicitly with --allow-registry`);
  }

  /** Throws UserInputError for malformed references. */
  async check(target: string): Promise<GuardVerdict> {
    const parsed = parseRegistryTarget(target);
    const explicitlyAllowed = this.allowed.has(parsed.registry) || this.allowed.has(parsed.hostname);
    if (this.allowed.size > 0 && !explicitlyAllowed) {
      return { ok: false, reason: `registry ${parsed.registry} is not in the allowed registries` };
    }
    if (explicitlyAllowed) return { ok: true, target: parsed };
    // WHATWG URL parsing is what the HTTP client applies, so numeric tricks (2130706433, 0x7f.1)
    // are judged by the address they will actually reach.
    let host: string;
    try {
      host = new URL(`http://${parsed.hostname.includes(':') ? `[${parsed.hostname}]` : parsed.hostname}/`).hostname.replace(/^\[|\]$/g, '');
    } catch {
      return { ok: false, reason: `registry host ${parsed.hostname} is not a valid host name` };
    }
    if (isIP(host)) {
      return this.isNonPublic(host) ? { ok: false, reason: `registry address ${host} is private, loopback or link-local; allow it explicitly with --allow-registry` } : { ok: true, target: parsed };
    }
    if (host === 'localhost' || host.endsWith('.localhost')) return { ok: false, reason: `registry ${host} is loopback; allow it explicitly with --allow-registry` };
    let addresses: string[];
    try {
      addresses = await this.resolver(host);
    } catch (err) {
      return { ok: 'unresolved', target: parsed, reason: `cannot resolve registry host ${host}: ${(err as NodeJS.ErrnoException).code ?? 'lookup failed'}` };
    }
    if (addresses.length === 0) return { ok: 'unresolved', target: parsed, reason: `registry host ${host} has no addresses` };
    const bad = addresses.find((a) => this.isNonPublic(a));
    if (bad) return { ok: false, reason: `registry host ${host} resolves to non-public address ${bad}; allow it explicitly with --allow-registry` };
    return { ok: true, target: parsed };
  }
}

function normaliseRegistry(r: string): string {
  const lower = r.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '');
  return HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

const PLATFORM_RE = /^[a-z0-9]{1,32}\/[a-z0-9_]{1,32}(?:\/[a-z0-9]{1,16})?$/;

export function validatePlatform(platform: string): void {
  if (!PLATFORM_RE.test(platform)) throw new UserInputError('platform: expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8', 'invalid_platform');
}
