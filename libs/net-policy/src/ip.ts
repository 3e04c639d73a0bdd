import { isIP } from 'node:net';

/**
 * An IP address as its bytes (4 for IPv4, 16 for IPv6), from its text form. Brackets (`[::1]`,
 * as a URL writes it) and a zone index (`fe80::1%eth0`) are accepted; anything else that is not
 * an address gives null. Only the canonical dotted-decimal IPv4 form is read here: the WHATWG URL
 * parser has already turned `2130706433` or `0x7f.1` into `127.0.0.1`, and `dns.lookup` answers
 * in the canonical form.
 */
export function parseIp(text: string): Uint8Array | null {
  let address = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = address.indexOf('%');
  if (zone !== -1) address = address.slice(0, zone);
  switch (isIP(address)) {
    case 4:
      return Uint8Array.from(address.split('.').map(Number));
    case 6:
      return parseIpv6(address);
    default:
      return null;
  }
}

function parseIpv6(address: string): Uint8Array {
  const bytes = new Uint8Array(16);
  const [head, tail] = address.includes('::') ? address.split('::') : [address, null];
  const groupsOf = (part: string): number[] => {
    if (part === '') return [];
    const groups: number[] = [];
    for (const group of part.split(':')) {
      if (group.includes('.')) {
        const [a, b, c, d] = group.split('.').map(Number);
        groups.push((a << 8) | b, (c << 8) | d);
      } else {
        groups.push(Number.parseInt(group, 16));
      }
    }
    return groups;
  };
  const first = groupsOf(head);
  const last = tail === null ? [] : groupsOf(tail);
  const groups = [...first, ...new Array<number>(8 - first.length - last.length).fill(0), ...last];
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/** Whether `address` lies in the range `network/prefix` (both of the same family). */
export function inRange(address: Uint8Array, network: Uint8Array, prefix: number): boolean {
  if (address.length !== network.length) return false;
  const whole = prefix >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== network[i]) return false;
  const rest = prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address[whole] & mask) === (network[whole] & mask);
}

export interface Cidr {
  network: Uint8Array;
  prefix: number;
}

/** `10.0.0.0/8`, `::1`, `fc00::/7`; null when it is not an address or range. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const network = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (!network) return null;
  const bits = network.length * 8;
  if (slash === -1) return { network, prefix: bits };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return null;
  return { network, prefix: Number(prefixText) };
}

export const formatIpv4 = (bytes: Uint8Array): string => Array.from(bytes).join('.');
