import { BlockList, isIP } from 'node:net';
import { isCidr } from '@sluice/contracts';

/** The client's address, from the socket peer and the `X-Forwarded-For` header; '' when unknown. */
export type ClientIpOf = (socketAddress: string | undefined, forwardedFor: string | string[] | undefined) => string;

/**
 * With no trusted proxy the client is the socket peer, whatever the headers say: a client could
 * claim any address and slip past an IP allow-list. When the peer is a trusted proxy, the client
 * is the right-most `X-Forwarded-For` entry that is not itself a trusted proxy (entries to its
 * left were written by the client and prove nothing). An unreadable entry on that walk makes the
 * address unknown, which an IP allow-list refuses. IPv4-mapped IPv6 is reported as plain IPv4.
 */
export function clientIpResolver(trustedProxies: readonly string[]): ClientIpOf {
  if (trustedProxies.length === 0) return (socketAddress) => unmapIpv4(socketAddress ?? '');
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) trusted.addAddress(address, family);
    else trusted.addSubnet(address, Number(prefix), family);
  }
  const isTrusted = (ip: string) => {
    const family = isIP(ip);
    return family !== 0 && trusted.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  };
  return (socketAddress, forwardedFor) => {
    const peer = unmapIpv4(socketAddress ?? '');
    const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
    if (!header || !isTrusted(peer)) return peer;
    const hops = header.split(',');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      client = unmapIpv4(withoutPort(hops[i].trim()));
      if (isIP(client) === 0) return '';
      if (!isTrusted(client)) return client;
    }
    // Every hop is a trusted proxy: the farthest one is the best anyone knows.
    return client;
  };
}

/** `SLUICE_TRUSTED_PROXIES`: a comma list of addresses and CIDR ranges; a typo stops the start. */
export function parseTrustedProxies(raw: string | undefined): string[] {
  const entries = (raw ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  for (const entry of entries) {
    if (!isCidr(entry))
      throw new Error(`SLUICE_TRUSTED_PROXIES: "${entry}" is not an IPv4 or IPv6 address or CIDR range`);
  }
  return entries;
}

function unmapIpv4(ip: string): string {
  return ip.length > 7 && ip.slice(0, 7).toLowerCase() === '::ffff:' && ip.includes('.') ? ip.slice(7) : ip;
}

/** `1.2.3.4:5678`, `[2001:db8::1]:443` and `[2001:db8::1]` as some proxies write them. */
function withoutPort(hop: string): string {
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    return end === -1 ? hop : hop.slice(1, end);
  }
  const colon = hop.indexOf(':');
  return colon !== -1 && colon === hop.lastIndexOf(':') ? hop.slice(0, colon) : hop;
}
