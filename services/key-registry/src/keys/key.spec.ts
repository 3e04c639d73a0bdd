import { given, keyCreated, keyDisabled, keyEnabled, keyRegenerated, keyRevoked, keyUpdated } from '../../test/given';

describe('the key aggregate folds its stream', () => {
  it('follows the status through disable, enable and revoke', () => {
    expect(given().state.status).toBe('none');
    expect(given(keyCreated()).state.status).toBe('active');
    expect(given(keyCreated(), keyDisabled).state.status).toBe('disabled');
    expect(given(keyCreated(), keyDisabled, keyEnabled).state.status).toBe('active');
    expect(given(keyCreated(), keyDisabled, keyRevoked).state).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
  });

  it('keeps the settings of the last update and the hash of the last regeneration', () => {
    const state = given(keyCreated({ models: ['gpt-*'], description: 'a' }), keyUpdated({ models: ['gpt-*'] }, { models: null }), keyRegenerated(), keyDisabled).state;
    expect(state).toMatchObject({ status: 'disabled', keyHash: 'hash-2', settings: { name: 'app', models: null, description: 'a' } });
  });
});
