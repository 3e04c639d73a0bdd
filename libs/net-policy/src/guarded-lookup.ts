import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { describeKind } from './upstream-url';
import type { UpstreamAllowList } from './upstream-allow-list';

type AllCallback = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;
export type BaseLookup = (hostname: string, options: LookupOptions & { all: true }, callback: AllCallback) => void;
/** The shape `net.connect` and `tls.connect` accept as their `lookup` option. */
export type ConnectLookup = (
  hostname: string,
  options: LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

/** A connection to an address the upstream policy does not allow; carries no URL, only the host and address. */
export class UpstreamNotAllowedError extends Error {
  readonly code = 'ERR_UPSTREAM_NOT_ALLOWED';
  constructor(readonly reason: string) {
    super(`upstream not allowed: ${reason}`);
    this.name = 'UpstreamNotAllowedError';
  }
}

/**
 * A DNS lookup for outgoing connections that refuses any answer holding an address the policy does
 * not allow. Checked at connect time, on the addresses the socket will really use, so a name that
 * passed when the provider was added and later resolves to 169.254.169.254 (DNS rebinding) is
 * still refused.
 */
export function guardedLookup(
  allow: UpstreamAllowList,
  base: BaseLookup = dnsLookup as unknown as BaseLookup,
): ConnectLookup {
  return (hostname, options, callback) => {
    base(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      if (addresses.length === 0)
        return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }), []);
      if (!allow.allowsHost(hostname)) {
        for (const { address } of addresses) {
          const verdict = allow.checkAddress(address);
          if (!verdict.allowed)
            return callback(
              new UpstreamNotAllowedError(`${hostname} resolves to ${address}, ${describeKind(verdict.kind)}`),
              [],
            );
        }
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** The check for a connection to an address literal, which `net.connect` makes without any lookup. */
export function checkAddressLiteral(allow: UpstreamAllowList, hostname: string): UpstreamNotAllowedError | null {
  if (isIP(hostname) === 0) return null;
  const verdict = allow.checkAddress(hostname);
  return verdict.allowed ? null : new UpstreamNotAllowedError(`${hostname} is ${describeKind(verdict.kind)}`);
}
