import {
  allowed,
  catalog,
  given,
  iso,
  keyCreated,
  keyDisabled,
  keyRegenerated,
  keyRevoked,
  keyUpdated,
  NOW,
  refused,
} from '../../test/given';

describe('key events reach the policy', () => {
  describe('KeyUpdated applies `after`', () => {
    it('changes the settings it names', () => {
      const state = given(
        keyCreated(),
        ...catalog,
        keyUpdated({
          models: ['claude-*'],
          operations: ['embeddings'],
          ipAllowlist: ['10.0.0.0/8'],
          providerIds: ['prov_2'],
        }),
      );
      expect(state.when({ clientIp: '10.0.0.1', operation: 'embeddings', model: 'gpt-4o' })).toMatchObject(
        refused('model_not_allowed', 403),
      );
      expect(state.when({ clientIp: '10.0.0.1', operation: 'chat', model: 'claude-3' })).toMatchObject(
        refused('operation_not_allowed', 403),
      );
      expect(state.when({ clientIp: '127.0.0.1' })).toMatchObject(refused('ip_not_allowed', 403));
      expect(state.when({ clientIp: '10.0.0.1', operation: 'embeddings', model: 'claude-3' })).toMatchObject(
        refused('provider_not_allowed', 403),
      );
    });

    it('leaves the settings it does not name as they were', () => {
      const state = given(
        keyCreated({ ipAllowlist: ['10.0.0.0/8'], providerIds: ['prov_2'] }),
        ...catalog,
        keyUpdated({ description: 'renamed' }),
      );
      expect(state.when({ clientIp: '127.0.0.1', model: 'llama' })).toMatchObject(refused('ip_not_allowed', 403));
      expect(state.when({ clientIp: '10.0.0.1', model: 'gpt-4o' })).toMatchObject(refused('provider_not_allowed', 403));
    });

    it('clears a list with null (back to "all") and moves or removes the expiry', () => {
      const restricted = keyCreated({ models: ['gpt-4o'], ipAllowlist: ['10.0.0.0/8'], expiresAt: iso(NOW - 1) });
      expect(given(restricted, ...catalog).when({ model: 'claude-3', clientIp: '10.0.0.1' })).toMatchObject(
        refused('key_expired', 401),
      );
      const cleared = given(restricted, ...catalog, keyUpdated({ models: null, ipAllowlist: null, expiresAt: null }));
      expect(cleared.when({ model: 'claude-3', clientIp: '127.0.0.1', at: NOW + 365 * 86_400_000 })).toMatchObject(
        allowed,
      );
      const moved = given(restricted, ...catalog, keyUpdated({ expiresAt: iso(NOW + 1000) }));
      expect(moved.when({ clientIp: '10.0.0.1', at: NOW + 999 })).toMatchObject(allowed);
      expect(moved.when({ clientIp: '10.0.0.1', at: NOW + 1000 })).toMatchObject(refused('key_expired', 401));
    });
  });

  describe('KeyRegenerated', () => {
    const regeneratedAt = NOW - 60_000;
    const graceEnds = NOW + 30_000;
    const withGrace = keyRegenerated({ regeneratedAt: iso(regeneratedAt), previousKeyExpiresAt: iso(graceEnds) });

    it('finds the key by its new secret, with the same id and settings', () => {
      const state = given(keyCreated({ models: ['gpt-*'] }), ...catalog, withGrace);
      expect(state.when({ keyHash: 'hash-2', at: graceEnds + 86_400_000 })).toMatchObject(allowed);
      expect(state.when({ keyHash: 'hash-2', model: 'claude-3' })).toMatchObject(refused('model_not_allowed', 403));
    });

    it('keeps the previous secret working until the last millisecond before previousKeyExpiresAt', () => {
      expect(given(keyCreated(), ...catalog, withGrace).when({ keyHash: 'hash-1', at: graceEnds - 1 })).toMatchObject(
        allowed,
      );
    });

    it('refuses the previous secret from previousKeyExpiresAt on, by the clock alone, saying why', () => {
      const decision = given(keyCreated(), ...catalog, withGrace).when({ keyHash: 'hash-1', at: graceEnds });
      expect(decision).toMatchObject(refused('invalid_api_key', 401, 'regenerate'));
      expect(decision).toMatchObject({ error: { message: expect.stringContaining(iso(graceEnds)) } });
    });

    it('stops the previous secret at once when previousKeyExpiresAt is null', () => {
      const state = given(
        keyCreated(),
        ...catalog,
        keyRegenerated({ regeneratedAt: iso(regeneratedAt), previousKeyExpiresAt: null }),
      );
      expect(state.when({ keyHash: 'hash-1', at: regeneratedAt })).toMatchObject(
        refused('invalid_api_key', 401, 'regenerate'),
      );
      expect(state.when({ keyHash: 'hash-2', at: regeneratedAt })).toMatchObject(allowed);
    });

    it('ends the grace of an older secret when the key is regenerated again', () => {
      const again = keyRegenerated({
        keyHash: 'hash-3',
        previousKeyHash: 'hash-2',
        regeneratedAt: iso(NOW - 1000),
        previousKeyExpiresAt: iso(NOW + 60_000),
      });
      const state = given(keyCreated(), ...catalog, withGrace, again);
      expect(state.when({ keyHash: 'hash-1' })).toMatchObject(refused('invalid_api_key', 401, 'regenerate'));
      expect(state.when({ keyHash: 'hash-2' })).toMatchObject(allowed);
      expect(state.when({ keyHash: 'hash-3' })).toMatchObject(allowed);
    });

    it('applies the key state to the previous secret too', () => {
      expect(given(keyCreated(), ...catalog, withGrace, keyDisabled).when({ keyHash: 'hash-1' })).toMatchObject(
        refused('key_disabled', 401),
      );
      expect(given(keyCreated(), ...catalog, withGrace, keyRevoked).when({ keyHash: 'hash-1' })).toMatchObject(
        refused('invalid_api_key', 401, 'revoked'),
      );
    });
  });
});
