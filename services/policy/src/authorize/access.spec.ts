import type { AccessRequest, SluiceEvent } from '@sluice/contracts';
import { parseEvent } from '@sluice/contracts';
import { Catalog } from '../catalog/catalog';
import { KeyTable } from '../keys/key-table';
import { catalog, keyCreated, keyRegenerated, keyRevoked, keyUpdated, model, NOW } from '../../test/given';
import { access } from './access';
import { authorize } from './authorize';
import { Limiter } from '../limits/limiter';

function given(...events: SluiceEvent[]) {
  const keys = new KeyTable();
  const cat = new Catalog();
  for (const e of events) {
    const parsed = parseEvent(JSON.parse(JSON.stringify(e)))!;
    keys.apply(parsed);
    cat.apply(parsed);
  }
  const limiter = new Limiter(
    (keyId) => keys.byId(keyId),
    () => undefined,
  );
  return {
    access: (req: Partial<AccessRequest> = {}) =>
      access(
        { keyHash: 'hash-1', operation: 'responses', clientIp: '127.0.0.1', requestId: 'r', ...req },
        keys,
        cat,
        NOW,
      ),
    authorize: (model: string, maxOutputTokens: number | null = null) =>
      authorize(
        {
          keyHash: 'hash-1',
          model,
          operation: 'responses',
          clientIp: '127.0.0.1',
          requestId: 'r',
          estimate: { inputTokens: 1, maxOutputTokens },
        },
        keys,
        cat,
        limiter,
        NOW,
      ),
  };
}

const responsesProvider = (providerId: string, type: string, supportsResponses?: boolean): SluiceEvent => ({
  type: 'ProviderAdded',
  data: {
    providerId,
    name: providerId,
    type,
    baseUrl: 'https://llm.example.com/v1',
    apiKeyHint: 'sk-…1',
    secretVersion: 1,
    ...(supportsResponses === undefined ? {} : { supportsResponses }),
    createdAt: '2026-11-01T00:00:00Z',
  },
});

describe('access (a responses call that generates nothing)', () => {
  it('names the key by id for its secret, and for a regenerated secret the same id', () => {
    expect(given(keyCreated(), ...catalog).access()).toEqual({ allow: true, keyId: 'key_1' });
    expect(given(keyCreated(), ...catalog, keyRegenerated({})).access({ keyHash: 'hash-2' })).toEqual({
      allow: true,
      keyId: 'key_1',
    });
  });

  it('refuses a revoked key, an unknown secret, and a key without the responses operation', () => {
    expect(given(keyCreated(), ...catalog, keyRevoked).access()).toMatchObject({
      allow: false,
      error: { status: 401, code: 'invalid_api_key' },
    });
    expect(given(keyCreated(), ...catalog).access({ keyHash: 'hash-x' })).toMatchObject({
      allow: false,
      error: { status: 401 },
    });
    expect(given(keyCreated({ operations: ['chat'] }), ...catalog).access()).toMatchObject({
      allow: false,
      error: { status: 403, code: 'operation_not_allowed' },
    });
    expect(given(keyCreated(), ...catalog, keyUpdated({ ipAllowlist: ['10.0.0.0/8'] })).access()).toMatchObject({
      allow: false,
      error: { code: 'ip_not_allowed' },
    });
  });

  it('with a model, applies the model rules and returns its route; counts nothing', () => {
    const g = given(keyCreated({ models: ['gpt-4o'], rateLimits: { requestsPerMinute: 1 } }), ...catalog);
    expect(g.access({ model: 'gpt-4o' })).toMatchObject({
      allow: true,
      keyId: 'key_1',
      route: { providerId: 'prov_1', upstreamModel: 'gpt-4o-upstream' },
    });
    expect(g.access({ model: 'gpt-4o' })).toMatchObject({ allow: true });
    expect(g.access({ model: 'llama' })).toMatchObject({ allow: false, error: { code: 'model_not_allowed' } });
    // The one request a minute is still there for a call that generates something.
    expect(g.authorize('gpt-4o')).toMatchObject({ allow: true });
  });

  it('routes Responses natively to openai and azure-openai, and to an openai-compatible server only when it is marked', () => {
    const g = given(
      keyCreated(),
      responsesProvider('p-openai', 'openai'),
      responsesProvider('p-azure', 'azure-openai'),
      responsesProvider('p-marked', 'openai-compatible', true),
      responsesProvider('p-plain', 'openai-compatible'),
      responsesProvider('p-claude', 'anthropic'),
      model('m-openai', 'p-openai'),
      model('m-azure', 'p-azure'),
      model('m-marked', 'p-marked'),
      model('m-plain', 'p-plain'),
      model('m-claude', 'p-claude'),
      {
        type: 'ProviderUpdated',
        data: { providerId: 'p-plain', before: {}, after: {}, updatedAt: '2026-11-02T00:00:00Z' },
      },
    );
    const native = (m: string) =>
      (g.authorize(m) as { route?: { supportsResponses?: boolean } }).route?.supportsResponses === true;
    expect(['m-openai', 'm-azure', 'm-marked', 'm-plain', 'm-claude'].map(native)).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });

  it('follows the flag when an admin changes it', () => {
    const marked: SluiceEvent = {
      type: 'ProviderUpdated',
      data: {
        providerId: 'p',
        before: { supportsResponses: false },
        after: { supportsResponses: true },
        updatedAt: '2026-11-02T00:00:00Z',
      },
    };
    const g = given(keyCreated(), responsesProvider('p', 'openai-compatible'), model('m', 'p'), marked);
    expect(g.access({ model: 'm' })).toMatchObject({ route: { supportsResponses: true } });
  });

  it('refuses max_output_tokens above the model cap in the Responses parameter name', () => {
    const capped: SluiceEvent = {
      type: 'ModelAdded',
      data: {
        name: 'small',
        providerId: 'prov_1',
        upstreamModel: 'small-up',
        inputUsdPerMTok: 1,
        outputUsdPerMTok: 1,
        cachedInputUsdPerMTok: null,
        maxOutputTokens: 100,
        createdAt: '2026-11-01T00:00:00Z',
      },
    };
    const reply = given(keyCreated(), ...catalog, capped).authorize('small', 500);
    expect(reply).toMatchObject({
      allow: false,
      error: {
        status: 400,
        param: 'max_output_tokens',
        message: expect.stringContaining('max_output_tokens is too large: 500'),
      },
    });
  });
});
