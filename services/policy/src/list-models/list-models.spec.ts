import type { SluiceEvent } from '@sluice/contracts';
import { catalog, given, keyCreated, keyDisabled, refused } from '../../test/given';

const ids = (reply: unknown) => (reply as { models: { id: string }[] }).models.map((m) => m.id);

describe('listModels (GET /v1/models)', () => {
  it('lists the whole catalog for a key without restrictions', () => {
    expect(ids(given(keyCreated(), ...catalog).listModels())).toEqual(['gpt-4o', 'gpt-4o-mini', 'claude-3', 'llama']);
  });

  it('lists only the models the allow-list matches', () => {
    expect(ids(given(keyCreated({ models: ['gpt-4o*', 'llama'] }), ...catalog).listModels())).toEqual([
      'gpt-4o',
      'gpt-4o-mini',
      'llama',
    ]);
  });

  it('lists only models served by the providers the key is bound to', () => {
    expect(ids(given(keyCreated({ providerIds: ['prov_2'] }), ...catalog).listModels())).toEqual(['llama']);
    expect(ids(given(keyCreated({ models: ['gpt-*'], providerIds: ['prov_2'] }), ...catalog).listModels())).toEqual([]);
  });

  it('refuses with the same codes as a call', () => {
    expect(given(keyCreated(), ...catalog).listModels({ keyHash: 'nope' })).toMatchObject(
      refused('invalid_api_key', 401),
    );
    expect(given(keyCreated(), ...catalog, keyDisabled).listModels()).toMatchObject(refused('key_disabled', 401));
    expect(
      given(keyCreated({ ipAllowlist: ['10.0.0.0/8'] }), ...catalog).listModels({ clientIp: '127.0.0.1' }),
    ).toMatchObject(refused('ip_not_allowed', 403));
  });

  it('lists a family entry as the name a client can send: its prefix, unless an entry of that name exists', () => {
    const family = (name: string): SluiceEvent => ({
      type: 'ModelAdded',
      data: {
        name,
        providerId: 'prov_1',
        upstreamModel: name,
        inputUsdPerMTok: 1,
        outputUsdPerMTok: 2,
        cachedInputUsdPerMTok: null,
        maxOutputTokens: null,
        createdAt: '2026-11-01T00:00:00Z',
      },
    });
    const state = given(
      keyCreated({ models: ['claude-*'] }),
      ...catalog,
      family('claude-haiku-4-5*'),
      family('claude-3*'),
    );
    expect(ids(state.listModels())).toEqual(['claude-3', 'claude-haiku-4-5']);
    // and the listed name is served: the family's prefix, with nothing after it
    expect(state.when({ model: 'claude-haiku-4-5' })).toMatchObject({
      allow: true,
      route: { upstreamModel: 'claude-haiku-4-5' },
    });
    expect(state.when({ model: 'claude-haiku-4-5*' })).toMatchObject({
      allow: true,
      route: { upstreamModel: 'claude-haiku-4-5' },
    });
  });
});
