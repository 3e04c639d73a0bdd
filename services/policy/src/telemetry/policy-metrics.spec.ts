import { scrapeMetrics } from '@sluice/telemetry';
import { sampleValue } from '@sluice/testing';
import { priced, catalog, given, keyCreated, keyUpdated } from '../../test/given';
import { keyLimitState } from '../explain/key-state';
import { Partitioning } from '../partitioning';
import { PolicyMetrics } from './policy-metrics';

describe('policy metrics', () => {
  const budget = { maxUsd: 1, period: null, alertThresholds: [50, 80, 100], webhookUrlHint: null };
  const g = given(
    keyCreated({ name: 'search-team', budget, rateLimits: { requestsPerMinute: 10 } }),
    ...catalog,
    priced,
    keyUpdated({ name: 'search' }),
  );
  const metrics = new PolicyMetrics(
    { keys: g.keys, limiter: g.limiter, partitioning: Partitioning.fromEnv({}) },
    { keyLabels: true, litellm: true },
  );

  beforeAll(() => {
    // Two calls in flight, each reserving its worst case (50 output tokens at $0.001): $0.10 of $1.
    for (const callId of ['a', 'b']) metrics.decided(g.when({ callId, model: 'priced', at: Date.now() }));
    metrics.decided(g.when({ callId: 'c', model: 'nope', at: Date.now() }));
  });

  it("shows a key's budget exactly as policy holds it, under the key's current name", async () => {
    const scrape = await scrapeMetrics();
    const state = keyLimitState(g.keys.byId('key_1')!, g.limiter, Date.now());
    expect(state.budget?.remainingUsd).toBeCloseTo(0.9, 12);
    expect(sampleValue(scrape, 'sluice_policy_budget_remaining_usd', { key_id: 'key_1', key_name: 'search' })).toBe(
      state.budget?.remainingUsd,
    );
    expect(sampleValue(scrape, 'sluice_policy_budget_reserved_usd', { key_id: 'key_1' })).toBe(
      state.budget?.reservedUsd,
    );
    expect(sampleValue(scrape, 'sluice_policy_budget_max_usd', { key_id: 'key_1' })).toBe(1);
    expect(
      sampleValue(scrape, 'litellm_remaining_api_key_budget_metric', {
        hashed_api_key: 'key_1',
        api_key_alias: 'search',
      }),
    ).toBe(state.budget?.remainingUsd);
    expect(sampleValue(scrape, 'litellm_api_key_max_budget_metric', { hashed_api_key: 'key_1' })).toBe(1);
  });

  it('shows each rate-limit window left, the calls in flight and the decisions by rule', async () => {
    const scrape = await scrapeMetrics();
    expect(
      sampleValue(scrape, 'sluice_policy_rate_limit_remaining', { key_id: 'key_1', window: 'requestsPerMinute' }),
    ).toBe(8);
    expect(sampleValue(scrape, 'sluice_policy_key_in_flight', { key_id: 'key_1' })).toBe(2);
    expect(sampleValue(scrape, 'sluice_policy_reservations')).toBe(2);
    expect(sampleValue(scrape, 'sluice_policy_decisions_total', { outcome: 'allowed' })).toBe(2);
    expect(sampleValue(scrape, 'sluice_policy_decisions_total', { outcome: 'refused', code: 'model_not_found' })).toBe(
      1,
    );
  });
});
