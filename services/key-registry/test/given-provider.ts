import { deciderHarness } from '@sluice/testing';
import { foldProvider, type ProviderEvent } from '../src/providers/provider';

export const NOW = new Date('2026-11-24T12:00:00Z');
const earlier = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

type Data<T extends ProviderEvent['type']> = Extract<ProviderEvent, { type: T }>['data'];

/** given(events).when(decide).then(events) or .thenThrows(code), for the provider aggregate. */
export const given = deciderHarness(foldProvider);

export const providerAdded = (over: Partial<Data<'ProviderAdded'>> = {}): ProviderEvent => ({
  type: 'ProviderAdded',
  data: {
    providerId: 'prov_1',
    name: 'openai-prod',
    type: 'openai-compatible',
    baseUrl: 'https://llm.example.com/v1',
    apiKeyHint: 'sk-…1111',
    secretVersion: 1,
    createdAt: earlier(86_400_000),
    ...over,
  },
});
export const secretRotated = (secretVersion: number): ProviderEvent => ({
  type: 'ProviderSecretRotated',
  data: {
    providerId: 'prov_1',
    secretVersion,
    apiKeyHint: `sk-…${secretVersion}${secretVersion}${secretVersion}${secretVersion}`,
    rotatedAt: earlier(3_600_000),
  },
});
export const providerRemoved: ProviderEvent = {
  type: 'ProviderRemoved',
  data: { providerId: 'prov_1', removedAt: earlier(60_000) },
};
