import { catalog, given, keyCreated, keyDisabled, refused } from '../../test/given';

const ids = (reply: unknown) => (reply as { models: { id: string }[] }).models.map((m) => m.id);

describe('listModels (GET /v1/models)', () => {
  it('lists the whole catalog for a key without restrictions', () => {
    expect(ids(given(keyCreated(), ...catalog).listModels())).toEqual(['gpt-4o', 'gpt-4o-mini', 'claude-3', 'llama']);
  });

  it('lists only the models the allow-list matches', () => {
    expect(ids(given(keyCreated({ models: ['gpt-4o*', 'llama'] }), ...catalog).listModels())).toEqual(['gpt-4o', 'gpt-4o-mini', 'llama']);
  });

  it('lists only models served by the providers the key is bound to', () => {
    expect(ids(given(keyCreated({ providerIds: ['prov_2'] }), ...catalog).listModels())).toEqual(['llama']);
    expect(ids(given(keyCreated({ models: ['gpt-*'], providerIds: ['prov_2'] }), ...catalog).listModels())).toEqual([]);
  });

  it('refuses with the same codes as a call', () => {
    expect(given(keyCreated(), ...catalog).listModels({ keyHash: 'nope' })).toMatchObject(refused('invalid_api_key', 401));
    expect(given(keyCreated(), ...catalog, keyDisabled).listModels()).toMatchObject(refused('key_disabled', 401));
    expect(given(keyCreated({ ipAllowlist: ['10.0.0.0/8'] }), ...catalog).listModels({ clientIp: '127.0.0.1' })).toMatchObject(refused('ip_not_allowed', 403));
  });
});
