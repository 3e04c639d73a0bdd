import {
  costNanosOf,
  modelPrice,
  parseEvent,
  type AuthorizeRequest,
  type SluiceEvent,
  type UsageMessage,
} from '@sluice/contracts';
import { authorize } from '../src/authorize/authorize';
import { Catalog } from '../src/catalog/catalog';
import { KeyTable } from '../src/keys/key-table';
import { Limiter } from '../src/limits/limiter';
import { listModels } from '../src/list-models/list-models';

export const NOW = Date.parse('2026-11-24T12:00:00Z');
export const iso = (ms: number) => new Date(ms).toISOString();

type EventData<T extends SluiceEvent['type']> = Extract<SluiceEvent, { type: T }>['data'];
export type Call = Partial<Omit<AuthorizeRequest, 'requestId'>> & { at?: number };

/**
 * given(events).when(call) → the decision. Events go through `parseEvent` exactly as the runtime
 * feeds them from JetStream, so the contract's schemas are part of what is tested.
 */
export function given(...events: SluiceEvent[]) {
  const keys = new KeyTable();
  const catalog = new Catalog();
  const thresholds: { keyId: string; percent: number; spentNanos: number }[] = [];
  const limiter = new Limiter(
    (keyId) => keys.byId(keyId),
    (key, percent, _periodStart, spentNanos) => thresholds.push({ keyId: key.keyId, percent, spentNanos }),
  );
  for (const e of events) {
    const parsed = parseEvent(JSON.parse(JSON.stringify(e)))!;
    keys.apply(parsed);
    catalog.apply(parsed);
  }
  const request = (call: Call): AuthorizeRequest => ({
    keyHash: 'hash-1',
    model: 'gpt-4o',
    operation: 'chat',
    clientIp: '127.0.0.1',
    requestId: 'r',
    ...call,
  });
  return {
    keys,
    limiter,
    thresholds,
    when: (call: Call = {}) => authorize(request(call), keys, catalog, limiter, call.at ?? NOW),
    listModels: (call: Call = {}) => listModels(request(call), keys, catalog, call.at ?? NOW),
  };
}

export const refused = (code: string, status: number, rule?: string) => ({
  allow: false,
  error: { code, status, ...(rule ? { rule } : {}) },
});
export const allowed = { allow: true, keyId: 'key_1' };

export const keyCreated = (over: Partial<EventData<'KeyCreated'>> = {}): SluiceEvent => ({
  type: 'KeyCreated',
  data: {
    keyId: 'key_1',
    name: 'app',
    description: null,
    keyHash: 'hash-1',
    keyHint: 'sk-sluice-abcd…wxyz',
    models: null,
    operations: null,
    ipAllowlist: null,
    providerIds: null,
    expiresAt: null,
    metadata: {},
    rateLimits: null,
    budget: null,
    createdAt: '2026-11-01T00:00:00Z',
    ...over,
  },
});
export const keyUpdated = (after: EventData<'KeyUpdated'>['after']): SluiceEvent => ({
  type: 'KeyUpdated',
  data: { keyId: 'key_1', before: {}, after, updatedAt: iso(NOW - 60_000) },
});
export const keyRegenerated = (data: Partial<EventData<'KeyRegenerated'>>): SluiceEvent => ({
  type: 'KeyRegenerated',
  data: {
    keyId: 'key_1',
    keyHash: 'hash-2',
    keyHint: 'h2',
    previousKeyHash: 'hash-1',
    previousKeyExpiresAt: null,
    regeneratedAt: iso(NOW - 60_000),
    ...data,
  },
});
export const keyDisabled: SluiceEvent = {
  type: 'KeyDisabled',
  data: { keyId: 'key_1', disabledAt: iso(NOW - 30_000) },
};
export const keyEnabled: SluiceEvent = { type: 'KeyEnabled', data: { keyId: 'key_1', enabledAt: iso(NOW - 20_000) } };
export const keyRevoked: SluiceEvent = { type: 'KeyRevoked', data: { keyId: 'key_1', revokedAt: iso(NOW - 10_000) } };

export const provider = (providerId = 'prov_1'): SluiceEvent => ({
  type: 'ProviderAdded',
  data: {
    providerId,
    name: providerId,
    type: 'mock',
    baseUrl: null,
    apiKeyHint: null,
    secretVersion: 0,
    createdAt: '2026-11-01T00:00:00Z',
  },
});
export const model = (name: string, providerId = 'prov_1'): SluiceEvent => ({
  type: 'ModelAdded',
  data: {
    name,
    providerId,
    upstreamModel: `${name}-upstream`,
    inputUsdPerMTok: 1,
    outputUsdPerMTok: 2,
    cachedInputUsdPerMTok: null,
    maxOutputTokens: null,
    createdAt: '2026-11-01T00:00:00Z',
  },
});
/** A catalog with gpt-4o, gpt-4o-mini and claude-3 on prov_1, and llama on prov_2. */
export const catalog = [
  provider('prov_1'),
  provider('prov_2'),
  model('gpt-4o'),
  model('gpt-4o-mini'),
  model('claude-3'),
  model('llama', 'prov_2'),
];

/** $0.001 per output token, nothing for input, at most 50 output tokens: a call costs up to $0.05. */
export const priced: SluiceEvent = {
  type: 'ModelAdded',
  data: {
    name: 'priced',
    providerId: 'prov_1',
    upstreamModel: 'p',
    inputUsdPerMTok: 0,
    outputUsdPerMTok: 1000,
    cachedInputUsdPerMTok: null,
    maxOutputTokens: 50,
    createdAt: '2026-11-01T00:00:00Z',
  },
};

/**
 * A call's usage message as a gateway sends it: 30 output tokens of `priced` unless `over` says
 * otherwise, priced as the gateway prices it.
 */
export const usageOf = (callId: string, over: Partial<UsageMessage> = {}): UsageMessage => ({
  requestId: callId,
  keyId: 'key_1',
  model: 'priced',
  upstreamModel: 'p',
  providerId: 'prov_1',
  operation: 'chat',
  stream: false,
  status: 200,
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: 30,
  reasoningTokens: 0,
  estimated: false,
  latencyMs: 10,
  ttfbMs: null,
  clientIp: '127.0.0.1',
  startedAt: iso(NOW),
  ...over,
  // Priced by the gateway at the catalog price, as every usage message is: 'priced' charges a
  // milli-dollar per output token, the other catalog models $1 / $2 per million tokens.
  costNanos:
    over.costNanos ??
    costNanosOf(
      { inputTokens: 0, cachedInputTokens: 0, outputTokens: 30, ...over },
      (over.model ?? 'priced') === 'priced' ? PRICED : CATALOG,
    ),
});
const PRICED = modelPrice({ inputUsdPerMTok: 0, outputUsdPerMTok: 1000, cachedInputUsdPerMTok: null });
const CATALOG = modelPrice({ inputUsdPerMTok: 1, outputUsdPerMTok: 2, cachedInputUsdPerMTok: null });
