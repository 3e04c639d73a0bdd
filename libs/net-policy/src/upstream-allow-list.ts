import { classifyAddress, embeddedIpv4, type AddressKind } from './address-kind';
import { inRange, parseCidr, parseIp, type Cidr } from './ip';

export type AddressVerdict = { allowed: true } | { allowed: false; address: string; kind: AddressKind };

const HOST_NAME = /^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

/**
 * Which non-public upstream targets an operator allowed (`SLUICE_UPSTREAM_ALLOW`): a comma list
 * of CIDR ranges and addresses (`127.0.0.0/8,::1`) and host names (`ollama.internal`, or
 * `*.svc.cluster.local` for every name below a domain). Public addresses need no entry.
 */
export class UpstreamAllowList {
  private constructor(
    private readonly ranges: readonly Cidr[],
    private readonly names: ReadonlySet<string>,
    private readonly suffixes: readonly string[],
    readonly entries: readonly string[],
  ) {}

  /** An entry that is neither an address range nor a host name stops the start, naming it. */
  static parse(raw: string | undefined, variable = 'SLUICE_UPSTREAM_ALLOW'): UpstreamAllowList {
    const entries = (raw ?? '')
      .split(',')
      .map((e) => e.trim().toLowerCase())
      .filter((e) => e !== '');
    const ranges: Cidr[] = [];
    const names = new Set<string>();
    const suffixes: string[] = [];
    for (const entry of entries) {
      const range = parseCidr(entry);
      if (range) ranges.push(range);
      else if (!HOST_NAME.test(entry))
        throw new Error(`${variable}: "${entry}" is neither an IP address or CIDR range nor a host name`);
      else if (entry.startsWith('*.')) suffixes.push(entry.slice(1));
      else names.add(entry);
    }
    return new UpstreamAllowList(ranges, names, suffixes, entries);
  }

  static readonly none = UpstreamAllowList.parse('');

  /** A host name an operator allowed by name: whatever it resolves to is accepted. */
  allowsHost(hostname: string): boolean {
    const name = normalizeHost(hostname);
    return this.names.has(name) || this.suffixes.some((suffix) => name.endsWith(suffix));
  }

  /** Public addresses always; any other only inside a configured range. */
  checkAddress(address: string): AddressVerdict {
    const bytes = parseIp(address);
    const kind = bytes ? classifyAddress(bytes) : 'reserved';
    if (kind === 'public') return { allowed: true };
    if (bytes && this.inConfiguredRange(bytes)) return { allowed: true };
    return { allowed: false, address, kind };
  }

  private inConfiguredRange(bytes: Uint8Array): boolean {
    const inner = embeddedIpv4(bytes);
    return this.ranges.some(
      (r) => inRange(bytes, r.network, r.prefix) || (inner !== null && inRange(inner, r.network, r.prefix)),
    );
  }
}

/** Host names compare case-insensitively and without the trailing dot of a fully qualified name. */
export const normalizeHost = (hostname: string): string => hostname.toLowerCase().replace(/\.$/, '');
