import type { UsageMessage } from '@sluice/contracts';

/** A served call's usage message, for tests; override what the test is about. */
export const usageFixture = (requestId: string, over: Partial<UsageMessage> = {}): UsageMessage => ({
  requestId,
  keyId: 'key-1',
  model: 'gpt-test',
  upstreamModel: 'upstream-gpt',
  providerId: 'prov-1',
  operation: 'chat',
  stream: false,
  status: 200,
  inputTokens: 10,
  cachedInputTokens: 0,
  outputTokens: 5,
  reasoningTokens: 0,
  estimated: false,
  latencyMs: 1.5,
  ttfbMs: null,
  clientIp: '127.0.0.1',
  startedAt: new Date(0).toISOString(),
  // Priced by the gateway, as every call is: override for a test about money.
  costNanos: 0,
  ...over,
});
