import type { SluiceEvent } from '@sluice/contracts';
import { Catalog } from '../catalog/catalog';
import { KeyTable } from '../keys/key-table';
import { listModels } from '../list-models/list-models';
import { authorize } from './authorize';

const now = Date.parse('2026-11-24T12:00:00Z');

function given(events: SluiceEvent[]) {
  const keys = new KeyTable();
  const catalog = new Catalog();
  for (const e of events) {
    keys.apply(e);
    catalog.apply(e);
  }
  return {
    authorize: (model: string, operation: 'chat' | 'embeddings' = 'chat', keyHash = 'hash-1') =>
      authorize({ keyHash, model, operation, clientIp: '127.0.0.1', requestId: 'r' }, keys, catalog, now),
    models: () => listModels({ keyHash: 'hash-1', clientIp: '127.0.0.1', requestId: 'r' }, keys, catalog, now),
  };
}

const keyCreated = (over: Partial<Extract<SluiceEvent, { type: 'KeyCreated' }>['data']> = {}): SluiceEvent => ({
  type: 'KeyCreated',
  data: { keyId: 'key_1', name: 'app', description: null, keyHash: 'hash-1', keyHint: 'h', models: null, operations: null, ipAllowlist: null, providerIds: null, expiresAt: null, metadata: {}, createdAt: '2026-11-01T00:00:00Z', ...over },
});
const provider: SluiceEvent = { type: 'ProviderAdded', data: { providerId: 'prov_1', name: 'mock', type: 'mock', baseUrl: null, apiKeyHint: null, secretVersion: 0, createdAt: '2026-11-01T00:00:00Z' } };
const model = (name: string): SluiceEvent => ({
  type: 'ModelAdded',
  data: { name, providerId: 'prov_1', upstreamModel: `${name}-upstream`, inputUsdPerMTok: 1, outputUsdPerMTok: 2, cachedInputUsdPerMTok: null, maxOutputTokens: null, createdAt: '2026-11-01T00:00:00Z' },
});

describe('authorize', () => {
  it('allows an active key on a catalog model and returns the route', () => {
    expect(given([keyCreated(), provider, model('gpt-4o')]).authorize('gpt-4o')).toEqual({
      allow: true,
      keyId: 'key_1',
      route: { providerId: 'prov_1', providerType: 'mock', baseUrl: null, upstreamModel: 'gpt-4o-upstream' },
    });
  });

  it('refuses an unknown key with invalid_api_key', () => {
    expect(given([provider, model('gpt-4o')]).authorize('gpt-4o')).toMatchObject({ allow: false, error: { status: 401, code: 'invalid_api_key' } });
  });

  it('refuses a revoked key on the next call', () => {
    const revoked: SluiceEvent = { type: 'KeyRevoked', data: { keyId: 'key_1', revokedAt: '2026-11-24T11:00:00Z' } };
    expect(given([keyCreated(), revoked, provider, model('gpt-4o')]).authorize('gpt-4o')).toMatchObject({ allow: false, error: { status: 401, code: 'invalid_api_key' } });
  });

  it('refuses an expired key with key_expired, with no staleness', () => {
    const state = given([keyCreated({ expiresAt: new Date(now).toISOString() }), provider, model('gpt-4o')]);
    expect(state.authorize('gpt-4o')).toMatchObject({ allow: false, error: { code: 'key_expired' } });
  });

  it('answers 404 model_not_found for a model outside the catalog', () => {
    expect(given([keyCreated(), provider]).authorize('nope')).toMatchObject({ allow: false, error: { status: 404, code: 'model_not_found' } });
  });

  it('applies the model allow-list with globs, and lists only allowed models', () => {
    const state = given([keyCreated({ models: ['gpt-4o*'] }), provider, model('gpt-4o'), model('gpt-4o-mini'), model('claude')]);
    expect(state.authorize('gpt-4o-mini')).toMatchObject({ allow: true });
    expect(state.authorize('claude')).toMatchObject({ allow: false, error: { status: 403, code: 'model_not_allowed' } });
    expect(state.models()).toMatchObject({ allow: true, models: [{ id: 'gpt-4o' }, { id: 'gpt-4o-mini' }] });
  });

  it('applies the operations allow-list independently of models', () => {
    const state = given([keyCreated({ operations: ['chat'] }), provider, model('gpt-4o')]);
    expect(state.authorize('gpt-4o', 'embeddings')).toMatchObject({ allow: false, error: { status: 403, code: 'operation_not_allowed' } });
  });
});
