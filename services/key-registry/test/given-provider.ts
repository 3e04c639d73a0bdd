import { parseEvent, type ErrorCode } from '@sluice/contracts';
import { foldProvider, type ProviderEvent, type ProviderState } from '../src/providers/provider';

export const NOW = new Date('2026-11-24T12:00:00Z');
const earlier = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

type Data<T extends ProviderEvent['type']> = Extract<ProviderEvent, { type: T }>['data'];

/**
 * given(events).when(decide).then(events) or .thenThrows(code), for the provider aggregate. Both
 * the history and the decided events go through the contract's schemas.
 */
export function given(...history: ProviderEvent[]) {
  const state = foldProvider(history.map(throughContract));
  return {
    state,
    when: (decide: (state: ProviderState) => ProviderEvent[]) => ({
      then: (expected: ProviderEvent[]) => {
        const decided = decide(state);
        expect(decided.map(throughContract)).toEqual(decided);
        expect(decided).toEqual(expected);
      },
      thenThrows: (code: ErrorCode) => expect(() => decide(state)).toThrow(expect.objectContaining({ code })),
    }),
  };
}

function throughContract(event: ProviderEvent): ProviderEvent {
  return parseEvent(JSON.parse(JSON.stringify(event))) as ProviderEvent;
}

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
  data: { providerId: 'prov_1', secretVersion, apiKeyHint: `sk-…${secretVersion}${secretVersion}${secretVersion}${secretVersion}`, rotatedAt: earlier(3_600_000) },
});
export const providerRemoved: ProviderEvent = { type: 'ProviderRemoved', data: { providerId: 'prov_1', removedAt: earlier(60_000) } };
