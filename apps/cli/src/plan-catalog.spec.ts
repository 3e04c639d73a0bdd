import type { ModelView, ProviderView } from '@sluice/contracts';
import { planModels, planProviders, providerIdsByName, resolveProviderRefs } from './plan-catalog';

const provider: ProviderView = {
  id: 'prov_1',
  name: 'local',
  type: 'openai-compatible',
  baseUrl: 'http://127.0.0.1:11434/v1',
  apiKeyHint: 'sk-…1111',
  supportsResponses: false,
  createdAt: '2026-11-01T00:00:00.000Z',
};
const model: ModelView = {
  name: 'llama',
  providerId: 'prov_1',
  upstreamModel: 'llama3',
  inputUsdPerMTok: 0,
  outputUsdPerMTok: 0,
  cachedInputUsdPerMTok: null,
  cacheWriteUsdPerMTok: null,
  maxOutputTokens: null,
  createdAt: '2026-11-01T00:00:00.000Z',
};

describe('planning providers and models from a file', () => {
  it('creates a missing provider, moves a base URL, and refuses to change a type', () => {
    const steps = planProviders(
      [
        { name: 'local', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:8000/v1', apiKeyEnv: 'K' },
        { name: 'new', type: 'mock' },
      ],
      [provider],
    );
    expect(steps).toEqual([
      {
        action: 'update',
        name: 'local',
        id: 'prov_1',
        changes: [{ field: 'baseUrl', from: provider.baseUrl, to: 'http://127.0.0.1:8000/v1' }],
        patch: { baseUrl: 'http://127.0.0.1:8000/v1' },
      },
      { action: 'create', name: 'new', entry: { name: 'new', type: 'mock' } },
    ]);
    expect(planProviders([{ name: 'local', type: 'openai', apiKeyEnv: 'K' }], [provider])[0]).toMatchObject({
      action: 'conflict',
    });
  });

  it('keeps an identical model and reports a changed one as a conflict instead of replacing it', () => {
    const ids = providerIdsByName([provider]);
    const same = { name: 'llama', provider: 'local', upstreamModel: 'llama3', inputUsdPerMTok: 0, outputUsdPerMTok: 0 };
    expect(planModels([same], [model], ids)).toEqual([{ action: 'unchanged', name: 'llama' }]);
    const [step] = planModels([{ ...same, outputUsdPerMTok: 1 }], [model], ids);
    expect(step).toMatchObject({ action: 'conflict', message: expect.stringContaining('outputUsdPerMTok 0 → 1') });
  });

  it('lets a key name its providers, resolved to their ids', () => {
    expect(
      resolveProviderRefs([{ name: 'k', providerIds: ['local', 'prov_other'] }], providerIdsByName([provider])),
    ).toEqual([{ name: 'k', providerIds: ['prov_1', 'prov_other'] }]);
  });
});
