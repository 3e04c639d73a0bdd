import { UpstreamAllowList } from './upstream-allow-list';
import { checkUpstreamUrl, type ResolveHost } from './upstream-url';

const dns: Record<string, string[]> = {
  'api.example.com': ['93.184.216.34', '2606:2800:220:1::1'],
  'metadata.example.com': ['169.254.169.254'],
  'mixed.example.com': ['93.184.216.34', '10.0.0.5'],
  'ollama.internal': ['10.0.0.7'],
};
const resolve: ResolveHost = async (host) => {
  const addresses = dns[host];
  if (!addresses) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address }));
};
const check = (url: string, allow = UpstreamAllowList.none) => checkUpstreamUrl(url, allow, resolve);

describe('checkUpstreamUrl', () => {
  it('accepts a public https or http host, resolved', async () => {
    expect(await check('https://api.example.com/v1')).toEqual({ ok: true });
    expect(await check('http://93.184.216.34:8000/v1')).toEqual({ ok: true });
  });

  it('refuses other schemes and credentials in the URL, without echoing them', async () => {
    expect(await check('ftp://api.example.com/')).toEqual({
      ok: false,
      reason: 'only http and https URLs are allowed',
    });
    const withCredentials = await check('https://user:hunter2@api.example.com/v1');
    expect(withCredentials).toMatchObject({ ok: false, reason: expect.stringContaining('credentials') });
    expect(JSON.stringify(withCredentials)).not.toContain('hunter2');
  });

  it('refuses private, loopback, link-local and unspecified literals, in any notation', async () => {
    for (const url of [
      'http://169.254.169.254/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://[::ffff:127.0.0.1]/',
      'http://0.0.0.0:8080/',
      'http://[::1]/',
      'http://10.0.0.1/',
      'http://[fd00::1]/',
    ]) {
      expect(await check(url)).toMatchObject({ ok: false });
    }
    expect(await check('http://169.254.169.254/latest/meta-data')).toEqual({
      ok: false,
      reason: '169.254.169.254 is a link-local address',
    });
  });

  it('resolves a host name and refuses it if any of its addresses is not allowed', async () => {
    expect(await check('https://metadata.example.com/')).toEqual({
      ok: false,
      reason: 'metadata.example.com resolves to 169.254.169.254, a link-local address',
    });
    expect(await check('https://mixed.example.com/')).toEqual({
      ok: false,
      reason: 'mixed.example.com resolves to 10.0.0.5, a private address',
    });
    expect(await check('https://nowhere.example.com/')).toEqual({
      ok: false,
      reason: 'nowhere.example.com does not resolve',
    });
  });

  it('accepts what the operator allowed, by range or by name', async () => {
    const allow = UpstreamAllowList.parse('127.0.0.0/8,::1,ollama.internal');
    expect(await check('http://127.0.0.1:11434/v1', allow)).toEqual({ ok: true });
    expect(await check('http://[::1]:8000/v1', allow)).toEqual({ ok: true });
    expect(await check('http://ollama.internal:11434/v1', allow)).toEqual({ ok: true });
    expect(await check('http://169.254.169.254/', allow)).toMatchObject({ ok: false });
    expect(await check('http://10.0.0.1/', allow)).toMatchObject({ ok: false });
  });
});
