import { promises as dns } from 'node:dns';
import type { AddressKind } from './address-kind';
import { parseIp } from './ip';
import { normalizeHost, type UpstreamAllowList } from './upstream-allow-list';

/** Every address a host name resolves to, as `dns.lookup` (getaddrinfo, /etc/hosts) answers. */
export type ResolveHost = (hostname: string) => Promise<{ address: string }[]>;

export const systemResolver: ResolveHost = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

export type UpstreamUrlCheck = { ok: true } | { ok: false; reason: string };

const KIND_NAMES: Record<AddressKind, string> = {
  public: 'a public address',
  private: 'a private address',
  loopback: 'a loopback address',
  'link-local': 'a link-local address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};

/**
 * Whether a provider base URL may be used as an upstream: http or https, no credentials in it,
 * and a host that is, or resolves only to, addresses the allow-list accepts (every address, since
 * a connection may use any of them). A host that does not resolve is refused: nothing about it
 * can be checked. The reason names the host and address, never the rest of the URL.
 */
export async function checkUpstreamUrl(
  raw: string,
  allow: UpstreamAllowList,
  resolve: ResolveHost = systemResolver,
): Promise<UpstreamUrlCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'it is not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, reason: 'only http and https URLs are allowed' };
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'it must not carry credentials (user:password@); the provider key goes in apiKey' };
  }
  const host = url.hostname;
  if (parseIp(host)) {
    const verdict = allow.checkAddress(host);
    return verdict.allowed ? { ok: true } : { ok: false, reason: `${host} is ${KIND_NAMES[verdict.kind]}` };
  }
  if (allow.allowsHost(host)) return { ok: true };
  let addresses: { address: string }[];
  try {
    addresses = await resolve(normalizeHost(host));
  } catch {
    return { ok: false, reason: `${host} does not resolve` };
  }
  if (addresses.length === 0) return { ok: false, reason: `${host} does not resolve` };
  for (const { address } of addresses) {
    const verdict = allow.checkAddress(address);
    if (!verdict.allowed) return { ok: false, reason: `${host} resolves to ${address}, ${KIND_NAMES[verdict.kind]}` };
  }
  return { ok: true };
}

export const describeKind = (kind: AddressKind): string => KIND_NAMES[kind];
