import type { SluiceEvent } from '@sluice/contracts';
import { given, keyCreated, model } from '../../test/given';

const openai = (secretVersion: number): SluiceEvent => ({
  type: 'ProviderAdded',
  data: {
    providerId: 'prov_1',
    name: 'openai',
    type: 'openai-compatible',
    baseUrl: 'https://llm.example.com/v1',
    apiKeyHint: 'sk-…1111',
    secretVersion,
    createdAt: '2026-11-01T00:00:00Z',
  },
});
const rotated = (secretVersion: number): SluiceEvent => ({
  type: 'ProviderSecretRotated',
  data: { providerId: 'prov_1', secretVersion, apiKeyHint: 'sk-…2222', rotatedAt: '2026-11-02T00:00:00Z' },
});
const moved: SluiceEvent = {
  type: 'ProviderUpdated',
  data: {
    providerId: 'prov_1',
    before: { baseUrl: 'https://llm.example.com/v1' },
    after: { baseUrl: 'https://eu.llm.example.com/v1' },
    updatedAt: '2026-11-03T00:00:00Z',
  },
};

describe('the routes policy hands the gateway', () => {
  it('carry the provider secret version, so a gateway with an older credential refreshes first', () => {
    expect(given(keyCreated(), openai(1), model('gpt-4o')).when()).toMatchObject({
      allow: true,
      route: { providerId: 'prov_1', secretVersion: 1 },
    });
    expect(given(keyCreated(), openai(1), model('gpt-4o'), rotated(2), rotated(3)).when()).toMatchObject({
      allow: true,
      route: { secretVersion: 3 },
    });
  });

  it('carry the base URL as last changed', () => {
    expect(given(keyCreated(), openai(1), model('gpt-4o'), moved).when()).toMatchObject({
      route: { baseUrl: 'https://eu.llm.example.com/v1', secretVersion: 1 },
    });
  });
});

describe('family entries follow the catalog', () => {
  const family = (name: string, input: number): SluiceEvent => ({
    type: 'ModelAdded',
    data: {
      name,
      providerId: 'prov_1',
      upstreamModel: `${name}`,
      inputUsdPerMTok: input,
      outputUsdPerMTok: 2,
      cachedInputUsdPerMTok: null,
      cacheWriteUsdPerMTok: 1.25,
      maxOutputTokens: null,
      createdAt: '2026-11-01T00:00:00Z',
    },
  });
  const removed = (name: string): SluiceEvent => ({
    type: 'ModelRemoved',
    data: { name, removedAt: '2026-11-02T00:00:00Z' },
  });

  it('serves a dated id from the longest family, the next one once it is removed, and none once all are; the cache-write price rides on the route', () => {
    const events = [keyCreated(), openai(1), family('claude-*', 9), family('claude-haiku-*', 1)];
    expect(given(...events).when({ model: 'claude-haiku-4-5-20251001' })).toMatchObject({
      route: {
        upstreamModel: 'claude-haiku-4-5-20251001',
        price: { inputNanosPerMTok: 1_000_000_000, cacheWriteNanosPerMTok: 1_250_000_000 },
      },
    });
    expect(given(...events, removed('claude-haiku-*')).when({ model: 'claude-haiku-4-5-20251001' })).toMatchObject({
      route: { price: { inputNanosPerMTok: 9_000_000_000 } },
    });
    expect(
      given(...events, removed('claude-haiku-*'), removed('claude-*')).when({ model: 'claude-haiku-4-5-20251001' }),
    ).toMatchObject({ allow: false, error: { code: 'model_not_found' } });
  });
});

describe('a budget reserves the prompt at the dearest rate a prompt token can be billed', () => {
  const priced = (cacheWriteUsdPerMTok: number | null): SluiceEvent => ({
    type: 'ModelAdded',
    data: {
      name: 'claude',
      providerId: 'prov_1',
      upstreamModel: 'claude',
      inputUsdPerMTok: 1,
      outputUsdPerMTok: 5,
      cachedInputUsdPerMTok: 0.1,
      cacheWriteUsdPerMTok,
      maxOutputTokens: null,
      createdAt: '2026-11-01T00:00:00Z',
    },
  });
  const budget = keyCreated({ budget: { maxUsd: 10, period: null, alertThresholds: [], webhookUrlHint: null } });
  const reserved = (price: SluiceEvent) => {
    const decision = given(budget, openai(1), price).when({
      model: 'claude',
      callId: 'c',
      estimate: { inputTokens: 100, inputTokensBound: 1000, maxOutputTokens: 100 },
    });
    return decision.allow ? decision.limits?.reservedNanos : null;
  };

  it('every prompt token may be written to the cache for an hour: 1,000 × $2 (2 × input) + 100 × $5 per million, not 1,000 × $1.25', () => {
    expect(reserved(priced(1.25))).toBe(1000 * 2000 + 100 * 5000);
    // A cache-write price above the 1-hour rate is the dearest.
    expect(reserved(priced(3))).toBe(1000 * 3000 + 100 * 5000);
    expect(reserved(priced(null))).toBe(1000 * 1000 + 100 * 5000);
  });
});
