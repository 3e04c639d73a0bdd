import { inRange, parseCidr, parseIp, type Cidr } from './ip';

/** What an address reaches. Only `public` is allowed as an upstream without configuration. */
export type AddressKind = 'public' | 'private' | 'loopback' | 'link-local' | 'unspecified' | 'multicast' | 'reserved';

const table = (rows: [string, AddressKind][]): [Cidr, AddressKind][] =>
  rows.map(([cidr, kind]) => [parseCidr(cidr)!, kind]);

const IPV4 = table([
  // 0.0.0.0 reaches the local host on Linux: as dangerous as loopback.
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'private'], // carrier-grade NAT, shared address space
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'], // includes the cloud metadata service, 169.254.169.254
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'reserved'],
  ['203.0.113.0/24', 'reserved'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'], // includes the broadcast address 255.255.255.255
]);

const IPV6 = table([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'private'],
  ['100::/64', 'reserved'],
  ['2001::/32', 'reserved'], // Teredo tunnels
  ['2001:db8::/32', 'reserved'],
  ['fc00::/7', 'private'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private'], // deprecated site-local
  ['ff00::/8', 'multicast'],
]);

/**
 * IPv6 forms that carry an IPv4 address the packets end up at: IPv4-mapped (`::ffff:a.b.c.d`),
 * IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) and 6to4 (`2002:AABB:CCDD::`).
 * `[::ffff:169.254.169.254]` must be judged as 169.254.169.254.
 */
const EMBEDDED_IPV4: { range: Cidr; at: number }[] = [
  { range: parseCidr('::ffff:0:0/96')!, at: 12 },
  { range: parseCidr('::/96')!, at: 12 },
  { range: parseCidr('64:ff9b::/96')!, at: 12 },
  { range: parseCidr('2002::/16')!, at: 2 },
];

/** The IPv4 address an IPv6 address stands for, if it is one of the embedding forms. */
export function embeddedIpv4(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length !== 16) return null;
  for (const { range, at } of EMBEDDED_IPV4) {
    if (!inRange(bytes, range.network, range.prefix)) continue;
    // `::` and `::1` sit inside ::/96 but are IPv6's own unspecified and loopback addresses.
    if (
      at === 12 &&
      bytes.subarray(0, 12).every((b) => b === 0) &&
      bytes[12] === 0 &&
      bytes[13] === 0 &&
      bytes[14] === 0 &&
      bytes[15] <= 1
    )
      return null;
    return bytes.slice(at, at + 4);
  }
  return null;
}

/** What an address (text or bytes) reaches; an unreadable address is `reserved`. */
export function classifyAddress(address: string | Uint8Array): AddressKind {
  const bytes = typeof address === 'string' ? parseIp(address) : address;
  if (!bytes) return 'reserved';
  const inner = embeddedIpv4(bytes);
  if (inner) return classifyAddress(inner);
  for (const [range, kind] of bytes.length === 4 ? IPV4 : IPV6) {
    if (inRange(bytes, range.network, range.prefix)) return kind;
  }
  return 'public';
}
