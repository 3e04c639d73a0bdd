import { costOf } from '@sluice/contracts';
import type { CallFacts } from '../usage-message';
import { beginRecord, estimatedUsage } from './spool-records';

describe('review: a recovered call is charged what policy reserved, not an absurd max_tokens', () => {
  it('bills a call with max_tokens 1,000,000 on a model capped at 50 output tokens at the cap', () => {
    const price = { inputUsdPerMTok: 0, outputUsdPerMTok: 1000, cachedInputUsdPerMTok: null };
    const call = {
      requestId: 'r', callId: 'c', keyId: 'key_1', model: 'priced', op: 'chat', stream: true, clientIp: '127.0.0.1', startedAt: 0,
      route: { providerId: 'p', providerType: 'mock', baseUrl: null, upstreamModel: 'p', price },
      limits: { headers: {}, reservedUsd: 0.05, budgetRemainingUsd: 0.95, reservation: { callId: 'c', keyId: 'key_1', admittedAt: 0, tokens: 0, reservedUsd: 0.05, price, worstCase: { inputTokens: 0, outputTokens: 50 }, call: { model: 'priced', upstreamModel: 'p', providerId: 'p', operation: 'chat', clientIp: '127.0.0.1' } } },
    } as unknown as CallFacts;
    const usage = estimatedUsage(beginRecord(call, { inputTokens: 0, maxOutputTokens: 1_000_000 }));
    // Policy reserved $0.05 for this call; a gateway crash must not turn it into a $1,000 charge.
    expect(usage.costUsd ?? costOf(usage, price)).toBeLessThanOrEqual(0.05);
  });
});
