import { UpstreamAllowList } from './upstream-allow-list';

describe('UpstreamAllowList', () => {
  it('allows public addresses with no configuration and refuses every other kind', () => {
    const none = UpstreamAllowList.none;
    expect(none.checkAddress('93.184.216.34')).toEqual({ allowed: true });
    expect(none.checkAddress('127.0.0.1')).toEqual({ allowed: false, address: '127.0.0.1', kind: 'loopback' });
    expect(none.checkAddress('169.254.169.254')).toEqual({
      allowed: false,
      address: '169.254.169.254',
      kind: 'link-local',
    });
    expect(none.checkAddress('::1')).toMatchObject({ allowed: false, kind: 'loopback' });
  });

  it('allows what a configured range holds, including its IPv4-mapped form, and nothing more', () => {
    const loopback = UpstreamAllowList.parse('127.0.0.0/8, ::1');
    expect(loopback.checkAddress('127.0.0.1').allowed).toBe(true);
    expect(loopback.checkAddress('127.8.9.10').allowed).toBe(true);
    expect(loopback.checkAddress('::ffff:127.0.0.1').allowed).toBe(true);
    expect(loopback.checkAddress('::1').allowed).toBe(true);
    expect(loopback.checkAddress('10.0.0.1')).toMatchObject({ allowed: false, kind: 'private' });
    expect(loopback.checkAddress('169.254.169.254')).toMatchObject({ allowed: false, kind: 'link-local' });
    expect(UpstreamAllowList.parse('10.1.0.0/16').checkAddress('10.2.0.1').allowed).toBe(false);
  });

  it('allows host names exactly or below a domain, case-insensitively, ignoring a trailing dot', () => {
    const names = UpstreamAllowList.parse('Ollama.Internal,*.svc.cluster.local');
    expect(names.allowsHost('ollama.internal')).toBe(true);
    expect(names.allowsHost('OLLAMA.internal.')).toBe(true);
    expect(names.allowsHost('vllm.models.svc.cluster.local')).toBe(true);
    expect(names.allowsHost('svc.cluster.local')).toBe(false);
    expect(names.allowsHost('evil-ollama.internal')).toBe(false);
    expect(names.allowsHost('ollama.internal.evil.com')).toBe(false);
  });

  it('refuses an entry that is neither a range nor a host name, naming it', () => {
    expect(() => UpstreamAllowList.parse('127.0.0.0/33')).toThrow(/"127\.0\.0\.0\/33"/);
    expect(() => UpstreamAllowList.parse('http://localhost')).toThrow(/SLUICE_UPSTREAM_ALLOW/);
  });
});
