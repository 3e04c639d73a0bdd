import { compileIpAllowlist, normalizeIp } from './ip-allowlist';

describe('IP allow-list', () => {
  it('allows any address when the key has no allow-list', () => {
    expect(compileIpAllowlist(null)).toBeNull();
  });

  it('matches IPv4 CIDR ranges and single addresses', () => {
    const allows = compileIpAllowlist(['10.0.0.0/8', '192.168.1.7'])!;
    expect(allows('10.255.0.1')).toBe(true);
    expect(allows('192.168.1.7')).toBe(true);
    expect(allows('192.168.1.8')).toBe(false);
    expect(allows('11.0.0.1')).toBe(false);
  });

  it('matches IPv6 CIDR ranges and single addresses, in any spelling', () => {
    const allows = compileIpAllowlist(['2001:db8::/32', '::1'])!;
    expect(allows('2001:db8:ffff::1')).toBe(true);
    expect(allows('2001:0DB8:0000::0001')).toBe(true);
    expect(allows('0:0:0:0:0:0:0:1')).toBe(true);
    expect(allows('2001:db9::1')).toBe(false);
    expect(allows('127.0.0.1')).toBe(false);
  });

  it('matches an IPv4-mapped IPv6 address against IPv4 rules', () => {
    const allows = compileIpAllowlist(['10.0.0.0/8'])!;
    expect(allows('::ffff:10.0.0.1')).toBe(true);
    expect(allows('::FFFF:10.0.0.1')).toBe(true);
    expect(allows('::ffff:11.0.0.1')).toBe(false);
  });

  it('never allows an address it cannot read, nor anything when the list is empty', () => {
    const allows = compileIpAllowlist(['0.0.0.0/0', '::/0'])!;
    for (const bad of ['', 'unknown', '10.0.0.1, 10.0.0.2', '300.1.1.1']) expect(allows(bad)).toBe(false);
    expect(compileIpAllowlist([])!('10.0.0.1')).toBe(false);
  });

  it('reads a zone index as its address', () => {
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80::1');
    expect(compileIpAllowlist(['fe80::/10'])!('fe80::1%eth0')).toBe(true);
  });
});
