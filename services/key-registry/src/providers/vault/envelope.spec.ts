import { randomBytes } from 'node:crypto';
import { open, parseKeks, seal } from './envelope';

const keks = parseKeks(undefined, `1:${randomBytes(32).toString('base64')},2:${randomBytes(32).toString('base64')}`);

describe('envelope encryption of provider keys', () => {
  it('round-trips a secret under the current key-encryption key', () => {
    const sealed = seal('sk-real-provider-key', 'prov_1:1', keks);
    expect(sealed.kekVersion).toBe(2);
    expect(sealed.ciphertext.includes(Buffer.from('sk-real-provider-key'))).toBe(false);
    expect(open(sealed, 'prov_1:1', keks)).toBe('sk-real-provider-key');
  });

  it('refuses a ciphertext moved onto another row', () => {
    const sealed = seal('sk-real-provider-key', 'prov_1:1', keks);
    expect(() => open(sealed, 'prov_2:1', keks)).toThrow();
  });

  it('still opens secrets sealed under an older key-encryption key', () => {
    const old = parseKeks(undefined, `1:${keks.keys.get(1)!.toString('base64')}`);
    const sealed = seal('secret', 'a', old);
    expect(open(sealed, 'a', keks)).toBe('secret');
  });

  it('rejects a master key of the wrong size', () => {
    expect(() => parseKeks('c2hvcnQ=', undefined)).toThrow(/32 bytes/);
  });
});
