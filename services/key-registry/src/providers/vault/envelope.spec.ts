import { randomBytes } from 'node:crypto';
import { open, parseKeks, rewrap, seal } from './envelope';

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

describe('re-wrapping under a new key-encryption key', () => {
  const v1 = randomBytes(32).toString('base64');
  const v2 = randomBytes(32).toString('base64');
  const before = parseKeks(undefined, `1:${v1}`);
  const during = parseKeks(undefined, `1:${v1},2:${v2}`);
  const after = parseKeks(undefined, `2:${v2}`);

  it('changes only the wrapped data key, so the secret opens with the new key alone', () => {
    const sealed = seal('sk-real-provider-key', 'provider-secret:prov_1:1', before);
    const rewrapped = rewrap(sealed, 'provider-secret:prov_1:1', during);
    expect(rewrapped.kekVersion).toBe(2);
    expect(rewrapped.wrappedKey.equals(sealed.wrappedKey)).toBe(false);
    expect(open({ ciphertext: sealed.ciphertext, ...rewrapped }, 'provider-secret:prov_1:1', after)).toBe(
      'sk-real-provider-key',
    );
    expect(() => open(sealed, 'provider-secret:prov_1:1', after)).toThrow(/version 1 is not configured/);
  });

  it('keeps the row binding: a wrapped key moved to another row does not re-wrap', () => {
    const sealed = seal('secret', 'provider-secret:prov_1:1', before);
    expect(() => rewrap(sealed, 'provider-secret:prov_2:1', during)).toThrow();
  });

  it('refuses a malformed SLUICE_MASTER_KEYS instead of guessing', () => {
    expect(() => parseKeks(undefined, `one:${v1}`)).toThrow(/distinct positive versions/);
    expect(() => parseKeks(undefined, `1:${v1},1:${v2}`)).toThrow(/distinct positive versions/);
  });
});
