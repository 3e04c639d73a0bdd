import { classifyAddress } from './address-kind';

const hostOf = (url: string) => new URL(url).hostname;

describe('classifyAddress', () => {
  it.each([
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it.each(['8.8.8.8', '172.32.0.1', '172.15.255.255', '169.255.0.1', '2606:4700:4700::1111', '2002:0808:0808::1'])(
    '%s is public',
    (address) => {
      expect(classifyAddress(address)).toBe('public');
    },
  );

  it('judges IPv6 forms that carry an IPv4 address by the IPv4 address', () => {
    expect(classifyAddress('::ffff:127.0.0.1')).toBe('loopback');
    expect(classifyAddress('::ffff:7f00:1')).toBe('loopback');
    expect(classifyAddress('::ffff:a9fe:a9fe')).toBe('link-local');
    expect(classifyAddress('::ffff:8.8.8.8')).toBe('public');
    expect(classifyAddress('::127.0.0.1')).toBe('loopback');
    expect(classifyAddress('64:ff9b::169.254.169.254')).toBe('link-local');
    expect(classifyAddress('2002:a9fe:a9fe::1')).toBe('link-local');
    expect(classifyAddress('2002:c0a8:0101::')).toBe('private');
  });

  it('sees through the odd notations a URL may use, once the URL parser has read them', () => {
    expect(classifyAddress(hostOf('http://2130706433/'))).toBe('loopback');
    expect(classifyAddress(hostOf('http://0x7f.1/'))).toBe('loopback');
    expect(classifyAddress(hostOf('http://017700000001/'))).toBe('loopback');
    expect(classifyAddress(hostOf('http://127.1/'))).toBe('loopback');
    expect(classifyAddress(hostOf('http://[::ffff:127.0.0.1]/'))).toBe('loopback');
    expect(classifyAddress(hostOf('http://0xa9.0xfe.0xa9.0xfe/'))).toBe('link-local');
    expect(classifyAddress(hostOf('http://[0:0:0:0:0:ffff:169.254.169.254]/'))).toBe('link-local');
    expect(classifyAddress(hostOf('http://169.254.169.254./'))).toBe('link-local');
  });

  it('calls what is not an address reserved, never public', () => {
    expect(classifyAddress('not-an-address')).toBe('reserved');
    expect(classifyAddress('1.2.3')).toBe('reserved');
  });
});
