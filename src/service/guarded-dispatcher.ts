/**
 * An undici dispatcher that applies the target guard's address policy at connect time, for every
 * connection the registry client opens on behalf of the service: the registry itself, its token
 * realm, and every redirect (blob downloads are redirected to storage hosts).
 *
 * Why at connect time: the guard's check when a scan is accepted (and again when a worker starts
 * it) resolves the registry name, but the HTTP client would resolve it once more when it connects.
 * A DNS server that answers a public address first and 169.254.169.254 next (DNS rebinding) would
 * slip through that window. Here the name is resolved once per connection, every address is
 * checked, and the socket connects only to those checked addresses (net.connect's `lookup`), while
 * TLS still verifies the certificate against the name.
 *
 * Hosts named by the allow-list connect without the address check, as the guard admits them.
 * HTTP(S)_PROXY is not used for these connections: through a proxy the proxy resolves names, and
 * the addresses reached could not be checked.
 */
import { isIP } from 'node:net';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { Agent, buildConnector } from 'undici';
import type { TargetGuard } from './target-guard.ts';
import { AddressRefusedError } from './target-guard.ts';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A net.connect `lookup` that resolves through the guard and refuses names with a disallowed address. */
export function guardedLookup(guard: TargetGuard): (hostname: string, options: LookupOptions, callback: LookupCallback) => void {
  return (hostname, options, callback) => {
    guard.resolveForConnect(hostname).then((addresses) => {
      const wanted = typeof options.family === 'number' && options.family !== 0 ? options.family : undefined;
      const answers = addresses.map((address) => ({ address, family: isIP(address) })).filter((a) => a.family !== 0 && (wanted === undefined || a.family === wanted));
      const first = answers[0];
      if (!first) {
        callback(Object.assign(new Error(`${hostname} has no usable address`), { code: 'ENOTFOUND' }), []);
        return;
      }
      if (options.all) callback(null, answers);
      else callback(null, first.address, first.family);
    }, (err: NodeJS.ErrnoException) => callback(err, []));
  };
}

const TIMEOUTS = { headersTimeout: 60_000, bodyTimeout: 120_000, keepAliveTimeout: 10_000 };
const CONNECT_TIMEOUT_MS = 30_000;

export function createGuardedDispatcher(guard: TargetGuard): Agent {
  const direct = buildConnector({ timeout: CONNECT_TIMEOUT_MS });
  const pinned = buildConnector({ timeout: CONNECT_TIMEOUT_MS, lookup: guardedLookup(guard) });
  const connect: buildConnector.connector = (opts, callback) => {
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    if (guard.allowsAnyAddress(opts.hostname, port)) {
      direct(opts, callback);
      return;
    }
    // net.connect does not call `lookup` for address literals: check them here.
    if (isIP(opts.hostname)) {
      try {
        guard.assertAddressesAllowed(opts.hostname, [opts.hostname]);
      } catch (err) {
        callback(err as AddressRefusedError, null);
        return;
      }
      direct(opts, callback);
      return;
    }
    pinned(opts, callback);
  };
  return new Agent({ ...TIMEOUTS, connect });
}
