import type { SluiceEvent } from '@sluice/contracts';
import {
  allowed,
  catalog,
  given,
  iso,
  keyCreated,
  keyDisabled,
  keyEnabled,
  keyRevoked,
  model,
  NOW,
  provider,
  refused,
} from '../../test/given';

describe('authorize', () => {
  it('allows an active key on a catalog model and returns the route with the model price', () => {
    expect(given(keyCreated(), ...catalog).when({ model: 'gpt-4o' })).toEqual({
      allow: true,
      keyId: 'key_1',
      route: {
        providerId: 'prov_1',
        providerType: 'mock',
        baseUrl: null,
        upstreamModel: 'gpt-4o-upstream',
        secretVersion: 0,
        price: { inputNanosPerMTok: 1_000_000_000, outputNanosPerMTok: 2_000_000_000, cachedInputNanosPerMTok: null },
        maxOutputTokens: null,
        outputCap: 4096,
      },
      limits: { headers: {}, reservedNanos: null, budgetRemainingNanos: null },
    });
  });

  describe('invalid_api_key (401)', () => {
    it('refuses a secret no key has', () => {
      expect(given(keyCreated(), ...catalog).when({ keyHash: 'hash-unknown' })).toMatchObject(
        refused('invalid_api_key', 401),
      );
    });

    it('refuses a revoked key on the next call, naming the rule', () => {
      const decision = given(keyCreated(), ...catalog, keyRevoked).when();
      expect(decision).toMatchObject(refused('invalid_api_key', 401, 'revoked'));
      expect(decision).toMatchObject({ error: { message: expect.stringContaining('(rule: revoked)') } });
    });
  });

  describe('key_disabled (401)', () => {
    it('refuses a disabled key, and serves it again once enabled', () => {
      expect(given(keyCreated(), ...catalog, keyDisabled).when()).toMatchObject(
        refused('key_disabled', 401, 'disabled'),
      );
      expect(given(keyCreated(), ...catalog, keyDisabled, keyEnabled).when()).toMatchObject(allowed);
    });

    it('keeps a revoked key revoked when an enable arrives', () => {
      expect(given(keyCreated(), ...catalog, keyRevoked, keyEnabled).when()).toMatchObject(
        refused('invalid_api_key', 401, 'revoked'),
      );
    });
  });

  describe('key_expired (401), checked against the time of the call', () => {
    const expiresAt = iso(NOW);
    it('serves the key up to the last millisecond before expiresAt', () => {
      expect(given(keyCreated({ expiresAt }), ...catalog).when({ at: NOW - 1 })).toMatchObject(allowed);
    });

    it('refuses it from expiresAt on, with no event needed', () => {
      const decision = given(keyCreated({ expiresAt }), ...catalog).when({ at: NOW });
      expect(decision).toMatchObject(refused('key_expired', 401, 'expiresAt'));
      expect(decision).toMatchObject({ error: { message: expect.stringContaining('2026-11-24T12:00:00.000Z') } });
    });
  });

  describe('ip_not_allowed (403)', () => {
    const onlyTenSlashEight = keyCreated({ ipAllowlist: ['10.0.0.0/8'] });

    it('refuses a call from outside the allow-list, naming the address and the rule', () => {
      const decision = given(onlyTenSlashEight, ...catalog).when({ clientIp: '127.0.0.1' });
      expect(decision).toMatchObject(refused('ip_not_allowed', 403, 'ipAllowlist'));
      expect(decision).toMatchObject({ error: { message: expect.stringContaining('127.0.0.1') } });
    });

    it('serves IPv4 inside the range, also when the socket reported it IPv4-mapped', () => {
      expect(given(onlyTenSlashEight, ...catalog).when({ clientIp: '10.1.2.3' })).toMatchObject(allowed);
      expect(given(onlyTenSlashEight, ...catalog).when({ clientIp: '::ffff:10.1.2.3' })).toMatchObject(allowed);
    });

    it('applies IPv6 ranges and addresses', () => {
      const state = given(keyCreated({ ipAllowlist: ['127.0.0.1/32', '::1', '2001:db8::/32'] }), ...catalog);
      expect(state.when({ clientIp: '::1' })).toMatchObject(allowed);
      expect(state.when({ clientIp: '2001:db8:1::5' })).toMatchObject(allowed);
      expect(state.when({ clientIp: '127.0.0.1' })).toMatchObject(allowed);
      expect(state.when({ clientIp: '2001:db9::1' })).toMatchObject(refused('ip_not_allowed', 403));
    });

    it('refuses an unknown client address when the key has an allow-list', () => {
      expect(given(keyCreated({ ipAllowlist: ['0.0.0.0/0'] }), ...catalog).when({ clientIp: '' })).toMatchObject(
        refused('ip_not_allowed', 403),
      );
    });

    it('is checked before the key state, so an outside caller learns nothing about the key', () => {
      expect(given(onlyTenSlashEight, ...catalog, keyDisabled).when({ clientIp: '127.0.0.1' })).toMatchObject(
        refused('ip_not_allowed', 403),
      );
    });
  });

  describe('operation_not_allowed (403)', () => {
    it('applies the operations allow-list independently of models', () => {
      const state = given(keyCreated({ operations: ['chat'] }), ...catalog);
      expect(state.when({ operation: 'embeddings' })).toMatchObject(
        refused('operation_not_allowed', 403, 'operations'),
      );
      expect(state.when({ operation: 'chat' })).toMatchObject(allowed);
      expect(state.when({ operation: 'messages' })).toMatchObject(refused('operation_not_allowed', 403, 'operations'));
      expect(given(keyCreated({ operations: ['messages'] }), ...catalog).when({ operation: 'messages' })).toMatchObject(
        allowed,
      );
    });
  });

  describe('model_not_allowed (403)', () => {
    it('applies the model allow-list with globs', () => {
      const state = given(keyCreated({ models: ['gpt-4o*'] }), ...catalog);
      expect(state.when({ model: 'gpt-4o-mini' })).toMatchObject(allowed);
      expect(state.when({ model: 'claude-3' })).toMatchObject({
        ...refused('model_not_allowed', 403, 'models'),
        error: { param: 'model' },
      });
    });

    it('answers model_not_found for a model that is neither allowed nor in the catalog', () => {
      expect(given(keyCreated({ models: ['gpt-4o*'] }), ...catalog).when({ model: 'nope' })).toMatchObject(
        refused('model_not_found', 404),
      );
    });
  });

  describe('provider_not_allowed (403)', () => {
    it('refuses a model served by a provider the key is not bound to', () => {
      const state = given(keyCreated({ providerIds: ['prov_2'] }), ...catalog);
      expect(state.when({ model: 'gpt-4o' })).toMatchObject(refused('provider_not_allowed', 403, 'providerIds'));
      expect(state.when({ model: 'llama' })).toMatchObject({ allow: true, route: { providerId: 'prov_2' } });
    });
  });

  describe('model_not_found (404)', () => {
    it('answers for a model outside the catalog', () => {
      expect(given(keyCreated(), provider()).when({ model: 'nope' })).toMatchObject(refused('model_not_found', 404));
    });

    it('answers once the model is removed', () => {
      const removed = { type: 'ModelRemoved' as const, data: { name: 'gpt-4o', removedAt: iso(NOW - 1) } };
      expect(given(keyCreated(), provider(), model('gpt-4o'), removed).when()).toMatchObject(
        refused('model_not_found', 404),
      );
    });
  });

  describe('family entries (a catalog name ending in *): dated ids as clients send them', () => {
    const family = (name: string, upstreamModel: string, input = 1): SluiceEvent => ({
      type: 'ModelAdded',
      data: {
        name,
        providerId: 'prov_1',
        upstreamModel,
        inputUsdPerMTok: input,
        outputUsdPerMTok: 2,
        cachedInputUsdPerMTok: null,
        maxOutputTokens: null,
        createdAt: '2026-11-01T00:00:00Z',
      },
    });
    const claude = [
      provider(),
      family('claude-haiku-4-5*', 'claude-haiku-4-5*'),
      family('claude-*', 'claude-fallback', 9),
      model('claude-haiku-4-5-pinned'),
    ];

    it('serves a dated id through the longest matching family, sending what its * matched upstream', () => {
      const state = given(keyCreated({ models: ['claude-haiku-4-5*'] }), ...claude);
      expect(state.when({ model: 'claude-haiku-4-5-20251001', operation: 'messages' })).toMatchObject({
        allow: true,
        route: { upstreamModel: 'claude-haiku-4-5-20251001', price: { inputNanosPerMTok: 1_000_000_000 } },
      });
      expect(state.when({ model: 'claude-haiku-4-5', operation: 'messages' })).toMatchObject({
        allow: true,
        route: { upstreamModel: 'claude-haiku-4-5' },
      });
      // an entry of its own wins over any family
      expect(state.when({ model: 'claude-haiku-4-5-pinned' })).toMatchObject({
        allow: true,
        route: { upstreamModel: 'claude-haiku-4-5-pinned-upstream' },
      });
    });

    it('sends a family’s fixed upstream model when it has no *, and keeps the key’s allow-list in force', () => {
      const state = given(keyCreated({ models: ['claude-haiku-4-5*'] }), ...claude);
      expect(state.when({ model: 'claude-opus-5-5' })).toMatchObject(refused('model_not_allowed', 403, 'models'));
      expect(given(keyCreated(), ...claude).when({ model: 'claude-opus-5-5' })).toMatchObject({
        allow: true,
        route: { upstreamModel: 'claude-fallback', price: { inputNanosPerMTok: 9_000_000_000 } },
      });
      expect(given(keyCreated(), ...claude).when({ model: 'gpt-4o' })).toMatchObject(refused('model_not_found', 404));
    });

    it('reserves a family call under the name it was made with', () => {
      const state = given(
        keyCreated({ budget: { maxUsd: 10, period: null, alertThresholds: [], webhookUrlHint: null } }),
        ...claude,
      );
      const decision = state.when({
        model: 'claude-haiku-4-5-20251001',
        callId: 'c1',
        estimate: { inputTokens: 10, maxOutputTokens: 100 },
      });
      expect(decision).toMatchObject({
        allow: true,
        limits: {
          reservation: { call: { model: 'claude-haiku-4-5-20251001', upstreamModel: 'claude-haiku-4-5-20251001' } },
        },
      });
    });
  });

  describe('a permissions-only question (count_tokens)', () => {
    const limited = keyCreated({
      rateLimits: { requestsPerMinute: 1 },
      budget: { maxUsd: 0.000001, period: null, alertThresholds: [], webhookUrlHint: null },
    });

    it('is answered by the key’s permissions, counts nothing and reserves nothing, whatever its limits say', () => {
      const state = given(limited, ...catalog);
      const check = state.when({ checkOnly: true, estimate: { inputTokens: 1_000_000, maxOutputTokens: null } });
      expect(check).toEqual({
        allow: true,
        keyId: 'key_1',
        route: {
          providerId: 'prov_1',
          providerType: 'mock',
          baseUrl: null,
          upstreamModel: 'gpt-4o-upstream',
          secretVersion: 0,
          price: expect.any(Object),
          maxOutputTokens: null,
        },
      });
      expect(state.when({ checkOnly: true })).toMatchObject(allowed);
      // the one request of the minute is still there for a real call
      expect(state.when({ estimate: { inputTokens: 1, maxOutputTokens: 1 } })).toMatchObject({
        allow: false,
        error: { code: 'insufficient_quota' },
      });
      expect(state.limiter.reservations.size).toBe(0);
    });

    it('is refused as a call would be for the key’s permissions', () => {
      expect(
        given(keyCreated({ models: ['gpt-4o'] }), ...catalog).when({ checkOnly: true, model: 'claude-3' }),
      ).toMatchObject(refused('model_not_allowed', 403, 'models'));
      expect(given(keyCreated(), ...catalog, keyDisabled).when({ checkOnly: true })).toMatchObject(
        refused('key_disabled', 401, 'disabled'),
      );
      expect(
        given(keyCreated({ operations: ['chat'] }), ...catalog).when({ checkOnly: true, operation: 'messages' }),
      ).toMatchObject(refused('operation_not_allowed', 403, 'operations'));
    });
  });
});
