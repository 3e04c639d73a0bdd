import { BlockList, isIP } from 'node:net';

/**
 * Compiles an IP allow-list (IPv4 and IPv6 addresses and CIDR ranges) into one matcher; null
 * means "any address". An address the matcher cannot read is never allowed.
 */
export function compileIpAllowlist(entries: string[] | null): ((ip: string) => boolean) | null {
  if (!entries) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return (ip) => {
    const address = normalizeIp(ip);
    const family = isIP(address);
    if (family === 0) return false;
    return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}

/**
 * `::ffff:10.0.0.1` (how a dual-stack socket reports an IPv4 peer) is the IPv4 address it wraps,
 * so it meets IPv4 rules; a zone index (`fe80::1%eth0`) names an interface, not an address.
 */
export function normalizeIp(ip: string): string {
  const zone = ip.indexOf('%');
  const address = zone === -1 ? ip : ip.slice(0, zone);
  if (address.length > 7 && address.slice(0, 7).toLowerCase() === '::ffff:' && isIP(address.slice(7)) === 4)
    return address.slice(7);
  return address;
}
