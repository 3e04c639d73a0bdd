import { adminTokenHint, generateAdminToken, hashAdminToken, isWellFormedAdminToken } from './admin-token';
import { generateVirtualKey, isWellFormedVirtualKey } from './virtual-key';

describe('admin token format', () => {
  it('is recognised offline, and never mistaken for a virtual key or the other way round', () => {
    const token = generateAdminToken();
    expect(token).toMatch(/^sk-sluice-admin-[0-9A-Za-z]{49}$/);
    expect(isWellFormedAdminToken(token)).toBe(true);
    expect(isWellFormedVirtualKey(token)).toBe(false);
    expect(isWellFormedAdminToken(generateVirtualKey())).toBe(false);
  });

  it('refuses a mistyped token by its checksum', () => {
    const token = generateAdminToken();
    const typo = token.slice(0, 20) + (token[20] === 'a' ? 'b' : 'a') + token.slice(21);
    expect(isWellFormedAdminToken(typo)).toBe(false);
    expect(isWellFormedAdminToken(token.slice(0, -1))).toBe(false);
  });

  it('keeps only a hash and a hint that do not reveal the token', () => {
    const token = generateAdminToken();
    expect(hashAdminToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(adminTokenHint(token)).toBe(`${token.slice(0, 20)}…${token.slice(-4)}`);
    expect(generateAdminToken()).not.toBe(token);
  });
});
