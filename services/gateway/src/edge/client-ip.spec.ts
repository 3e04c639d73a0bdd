import { clientIpResolver, parseTrustedProxies } from './client-ip';

describe('client IP', () => {
  describe('with no trusted proxy (the default)', () => {
    const clientIp = clientIpResolver([]);

    it('is the socket peer, and X-Forwarded-For is ignored', () => {
      expect(clientIp('203.0.113.9', '10.0.0.1')).toBe('203.0.113.9');
      expect(clientIp('127.0.0.1', '10.0.0.1, 10.0.0.2')).toBe('127.0.0.1');
    });

    it('reports an IPv4-mapped peer as plain IPv4, and IPv6 as it is', () => {
      expect(clientIp('::ffff:127.0.0.1', undefined)).toBe('127.0.0.1');
      expect(clientIp('::1', undefined)).toBe('::1');
    });
  });

  describe('behind trusted proxies', () => {
    const clientIp = clientIpResolver(['10.0.0.0/8', 'fd00::/8']);

    it('ignores X-Forwarded-For when the peer is not a trusted proxy', () => {
      expect(clientIp('203.0.113.9', '10.1.1.1')).toBe('203.0.113.9');
    });

    it('takes the right-most X-Forwarded-For entry that is not a trusted proxy', () => {
      expect(clientIp('10.0.0.1', '198.51.100.7')).toBe('198.51.100.7');
      expect(clientIp('10.0.0.1', '1.1.1.1, 198.51.100.7, 10.0.0.2')).toBe('198.51.100.7');
      expect(clientIp('::ffff:10.0.0.1', '198.51.100.7,10.9.9.9')).toBe('198.51.100.7');
      expect(clientIp('fd00::1', '2001:db8::5, fd00::2')).toBe('2001:db8::5');
    });

    it('reads every header line, ports and brackets', () => {
      expect(clientIp('10.0.0.1', ['1.1.1.1', '198.51.100.7:5123', '10.0.0.3'])).toBe('198.51.100.7');
      expect(clientIp('10.0.0.1', '[2001:db8::5]:443')).toBe('2001:db8::5');
    });

    it('cannot be fooled by an address the client wrote left of the first untrusted hop', () => {
      expect(clientIp('10.0.0.1', '127.0.0.1, 198.51.100.7')).toBe('198.51.100.7');
    });

    it('says unknown when the walk meets an unreadable entry', () => {
      expect(clientIp('10.0.0.1', '198.51.100.7, not-an-ip, 10.0.0.2')).toBe('');
      expect(clientIp('10.0.0.1', 'unknown')).toBe('');
    });

    it('is the peer when the proxy sent no header, and the farthest proxy when every hop is trusted', () => {
      expect(clientIp('10.0.0.1', undefined)).toBe('10.0.0.1');
      expect(clientIp('10.0.0.1', '')).toBe('10.0.0.1');
      expect(clientIp('10.0.0.1', '10.0.0.7, 10.0.0.2')).toBe('10.0.0.7');
    });
  });

  describe('SLUICE_TRUSTED_PROXIES', () => {
    it('is a comma list of addresses and CIDR ranges, empty by default', () => {
      expect(parseTrustedProxies(undefined)).toEqual([]);
      expect(parseTrustedProxies(' 10.0.0.0/8, ::1 ,')).toEqual(['10.0.0.0/8', '::1']);
    });

    it('refuses to start on an entry that is not an address or range', () => {
      expect(() => parseTrustedProxies('10.0.0.0/8,10.0.0.0/33')).toThrow('"10.0.0.0/33"');
      expect(() => parseTrustedProxies('proxy.internal')).toThrow('SLUICE_TRUSTED_PROXIES');
    });
  });
});
