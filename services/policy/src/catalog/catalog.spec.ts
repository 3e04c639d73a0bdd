import type { SluiceEvent } from '@sluice/contracts';
import { given, keyCreated, model } from '../../test/given';

const openai = (secretVersion: number): SluiceEvent => ({
  type: 'ProviderAdded',
  data: { providerId: 'prov_1', name: 'openai', type: 'openai-compatible', baseUrl: 'https://llm.example.com/v1', apiKeyHint: 'sk-…1111', secretVersion, createdAt: '2026-11-01T00:00:00Z' },
});
const rotated = (secretVersion: number): SluiceEvent => ({
  type: 'ProviderSecretRotated',
  data: { providerId: 'prov_1', secretVersion, apiKeyHint: 'sk-…2222', rotatedAt: '2026-11-02T00:00:00Z' },
});
const moved: SluiceEvent = {
  type: 'ProviderUpdated',
  data: { providerId: 'prov_1', before: { baseUrl: 'https://llm.example.com/v1' }, after: { baseUrl: 'https://eu.llm.example.com/v1' }, updatedAt: '2026-11-03T00:00:00Z' },
};

describe('the routes policy hands the gateway', () => {
  it('carry the provider secret version, so a gateway with an older credential refreshes first', () => {
    expect(given(keyCreated(), openai(1), model('gpt-4o')).when()).toMatchObject({ allow: true, route: { providerId: 'prov_1', secretVersion: 1 } });
    expect(given(keyCreated(), openai(1), model('gpt-4o'), rotated(2), rotated(3)).when()).toMatchObject({ allow: true, route: { secretVersion: 3 } });
  });

  it('carry the base URL as last changed', () => {
    expect(given(keyCreated(), openai(1), model('gpt-4o'), moved).when()).toMatchObject({ route: { baseUrl: 'https://eu.llm.example.com/v1', secretVersion: 1 } });
  });
});
