import { generateVirtualKey, hashVirtualKey, isWellFormedVirtualKey, KEY_LENGTH, keyHint } from './virtual-key';

describe('virtual key format', () => {
  it('generates well-formed sk-sluice- keys with a valid checksum', () => {
    const key = generateVirtualKey();
    expect(key).toMatch(/^sk-sluice-[0-9A-Za-z]{49}$/);
    expect(key).toHaveLength(KEY_LENGTH);
    expect(isWellFormedVirtualKey(key)).toBe(true);
  });

  it('never generates the same key twice', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateVirtualKey()));
    expect(keys.size).toBe(1000);
  });

  it('rejects a one-character typo, a wrong prefix, a truncated or absurdly long key offline', () => {
    const key = generateVirtualKey();
    const typo = key.slice(0, 20) + (key[20] === 'a' ? 'b' : 'a') + key.slice(21);
    expect(isWellFormedVirtualKey(typo)).toBe(false);
    expect(isWellFormedVirtualKey(key.replace('sk-sluice-', 'sk-proj-xx'))).toBe(false);
    expect(isWellFormedVirtualKey(key.slice(0, -1))).toBe(false);
    expect(isWellFormedVirtualKey(key + 'x'.repeat(10_000))).toBe(false);
    expect(isWellFormedVirtualKey('')).toBe(false);
  });

  it('hashes deterministically and hints without revealing the secret', () => {
    const key = generateVirtualKey();
    expect(hashVirtualKey(key)).toBe(hashVirtualKey(key));
    expect(hashVirtualKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(keyHint(key).length).toBeLessThan(25);
    expect(key.includes(keyHint(key).replace('…', ''))).toBe(false);
  });
});
