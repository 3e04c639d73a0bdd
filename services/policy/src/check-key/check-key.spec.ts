import { given, keyCreated, keyDisabled, keyRegenerated, keyRevoked, NOW, refused } from '../../test/given';
import { checkKey } from './check-key';

const check = (state: ReturnType<typeof given>, over: { keyHash?: string; clientIp?: string; at?: number } = {}) =>
  checkKey(
    { keyHash: over.keyHash ?? 'hash-1', clientIp: over.clientIp ?? '127.0.0.1', requestId: 'r' },
    state.keys,
    over.at ?? NOW,
  );

describe('checkKey (before a large body is read)', () => {
  it('allows a key that a call could use, whatever the model', () => {
    expect(check(given(keyCreated({ models: ['gpt-4o'] })))).toEqual({ allow: true });
  });

  it('refuses with the codes authorize gives, in its order', () => {
    expect(check(given(keyCreated()), { keyHash: 'nope' })).toMatchObject(refused('invalid_api_key', 401));
    expect(check(given(keyCreated(), keyDisabled))).toMatchObject(refused('key_disabled', 401));
    expect(check(given(keyCreated(), keyRevoked))).toMatchObject(refused('invalid_api_key', 401, 'revoked'));
    expect(check(given(keyCreated({ expiresAt: new Date(NOW - 1).toISOString() })))).toMatchObject(
      refused('key_expired', 401),
    );
    expect(check(given(keyCreated({ ipAllowlist: ['10.0.0.0/8'] }), keyDisabled))).toMatchObject(
      refused('ip_not_allowed', 403),
    );
    expect(check(given(keyCreated(), keyRegenerated({})))).toMatchObject(refused('invalid_api_key', 401, 'regenerate'));
  });
});
