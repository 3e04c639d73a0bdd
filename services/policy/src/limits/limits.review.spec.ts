import { budgetPeriodAt, type SluiceEvent, type UsageMessage } from '@sluice/contracts';
import { catalog, given, keyCreated, keyUpdated, NOW, iso } from '../../test/given';

/** Reviewer's failing tests: each asserts what a user should see; each currently fails. */
const priced: SluiceEvent = {
  type: 'ModelAdded',
  data: { name: 'priced', providerId: 'prov_1', upstreamModel: 'p', inputUsdPerMTok: 0, outputUsdPerMTok: 1000, cachedInputUsdPerMTok: null, maxOutputTokens: 50, createdAt: '2026-11-01T00:00:00Z' },
};
const DAY = 86_400_000;
const budget = (maxUsd: number, period: string | null) => ({ maxUsd, period, alertThresholds: [], webhookUrl: null });
const usage = (callId: string, over: Partial<UsageMessage> = {}): UsageMessage => ({
  requestId: callId, keyId: 'key_1', model: 'priced', upstreamModel: 'p', providerId: 'prov_1', operation: 'chat', stream: false, status: 200,
  inputTokens: 0, cachedInputTokens: 0, outputTokens: 30, reasoningTokens: 0, estimated: false, latencyMs: 10, ttfbMs: null,
  clientIp: '127.0.0.1', startedAt: iso(NOW), ...over,
});

describe('review: budget ledger', () => {
  it('releases a reservation even if the budget was removed (and later re-added) while the call was in flight', () => {
    const g = given(keyCreated({ budget: budget(1, null) }), ...catalog, priced);
    expect(g.when({ callId: 'a', model: 'priced' })).toMatchObject({ allow: true });
    g.keys.apply(keyUpdated({ budget: null }));
    g.limiter.settle(usage('a'), NOW + 10);
    g.keys.apply(keyUpdated({ budget: budget(1, null) }));
    // Nothing is in flight any more: nothing may stay reserved.
    expect(g.limiter.counters('key_1').ledger(g.keys.byId('key_1')!, NOW + 20)).toMatchObject({ reserved: 0 });
  });

  it('moves to the period the new setting defines when the period is changed (1d → 30d)', () => {
    const createdAt = NOW - 10.5 * DAY;
    const g = given(keyCreated({ createdAt: iso(createdAt), budget: budget(10, '1d') }), ...catalog, priced);
    g.when({ callId: 'a', model: 'priced' });
    g.keys.apply(keyUpdated({ budget: budget(10, '30d') }));
    const ledger = g.limiter.counters('key_1').ledger(g.keys.byId('key_1')!, NOW + 1)!;
    // The key object shows periodStart/resetsAt from this ledger: they must describe one period.
    expect(ledger.periodStart).toBe(budgetPeriodAt(createdAt, '30d', NOW + 1).start);
  });

  it('charges a call admitted in a new period even if the gateway stamped its start a moment before the reset', () => {
    const createdAt = NOW - DAY; // a 1d budget resets exactly at NOW
    const g = given(keyCreated({ createdAt: iso(createdAt), budget: budget(1, '1d') }), ...catalog, priced);
    expect(g.when({ callId: 'a', model: 'priced', at: NOW + 2 })).toMatchObject({ allow: true }); // admitted (and reserved) in the new period
    g.limiter.settle(usage('a', { startedAt: iso(NOW - 3) }), NOW + 50); // gateway received it 5 ms earlier
    expect(g.limiter.counters('key_1').budget?.spent).toBeCloseTo(0.03, 9);
  });
});

describe('review: duplicates', () => {
  it('does not charge a usage message twice when a copy arrives more than 5 minutes later (spool recovery, sweep vs late report)', () => {
    const g = given(keyCreated({ budget: budget(1, null), rateLimits: { requestsPerDay: 100 } }), ...catalog, priced);
    g.when({ callId: 'a', model: 'priced' });
    g.limiter.settle(usage('a'), NOW + 10);
    g.limiter.expired(NOW + 6 * 60_000, 35 * 60_000); // the sweeper's tick prunes settled ids
    g.limiter.settle(usage('a'), NOW + 6 * 60_000); // same call id, republished
    expect(g.limiter.counters('key_1').budget?.spent).toBeCloseTo(0.03, 9);
    expect(g.limiter.counters('key_1').window('requestsPerDay').used(NOW + 6 * 60_000)).toBe(1);
  });
});

describe('review: token window after a limit change', () => {
  it('does not hand out extra tokens when tokensPerMinute is added while a call is in flight', () => {
    const g = given(keyCreated({ rateLimits: { requestsPerMinute: 100 } }), ...catalog, priced);
    g.when({ callId: 'a', estimate: { inputTokens: 500, maxOutputTokens: 500 } }); // 1000 tokens, not counted (no TPM yet)
    g.keys.apply(keyUpdated({ rateLimits: { requestsPerMinute: 100, tokensPerMinute: 1000 } }));
    g.limiter.settle(usage('a', { model: 'gpt-4o', inputTokens: 0, outputTokens: 0, status: 500 }), NOW + 10); // subtracts 1000 never added
    g.when({ callId: 'b', at: NOW + 20, estimate: { inputTokens: 900, maxOutputTokens: null } });
    // 900 of 1000 used in this minute: a second 900 must be refused.
    expect(g.when({ callId: 'c', at: NOW + 30, estimate: { inputTokens: 900, maxOutputTokens: null } })).toMatchObject({ allow: false });
  });
});
