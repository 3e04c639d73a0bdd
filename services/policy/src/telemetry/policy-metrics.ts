import type { AuthorizeReply, KeyLimitState } from '@sluice/contracts';
import { FINE_SECONDS_BUCKETS, meterOf, metricsSettings, type Attributes, type MetricsSettings } from '@sluice/telemetry';
import { keyLimitState } from '../explain/key-state';
import type { KeyPolicy, KeyTable } from '../keys/key-table';
import type { Limiter } from '../limits/limiter';
import type { Partitioning } from '../partitioning';

export interface PolicyView {
  keys: KeyTable;
  limiter: Limiter;
  partitioning: Partitioning;
}

const WINDOWS = ['requestsPerMinute', 'requestsPerHour', 'requestsPerDay', 'tokensPerMinute'] as const;

/**
 * Policy's measurements. The budget and rate-limit gauges are read from the counters themselves
 * when metrics are collected, through the same function that answers the key object's `budget`
 * and effective policy, so a scrape shows exactly what policy enforces at that instant.
 */
export class PolicyMetrics {
  /** Decisions by outcome, rule and code. */
  readonly #decisions = new Map<string, { count: number; attributes: Attributes }>();
  #swept = 0;
  readonly #eventLag;

  constructor(
    private readonly view: PolicyView,
    private readonly settings: MetricsSettings = metricsSettings(),
  ) {
    const meter = meterOf('policy');
    this.#eventLag = meter.createHistogram('sluice.policy.event.lag', {
      unit: 's',
      description: 'From a key, provider or model event committed to the log to policy enforcing it (revocation lag).',
      advice: { explicitBucketBoundaries: FINE_SECONDS_BUCKETS },
    });
    const decisions = meter.createObservableCounter('sluice.policy.decisions', { description: 'Authorize decisions by outcome, the rule that refused the call and its error code.' });
    const swept = meter.createObservableCounter('sluice.policy.reservations.swept', { description: 'Admitted calls that never reported usage, charged their reserved worst case.' });
    const reservations = meter.createObservableGauge('sluice.policy.reservations', { description: 'Calls admitted with limits whose usage has not settled yet (in flight).' });
    meter.addBatchObservableCallback(
      (r) => {
        for (const d of this.#decisions.values()) r.observe(decisions, d.count, d.attributes);
        r.observe(swept, this.#swept);
        r.observe(reservations, this.view.limiter.reservations.size);
      },
      [decisions, swept, reservations],
    );
    if (settings.keyLabels) this.#observeKeys(meter);
  }

  decided(reply: AuthorizeReply): void {
    const rule = reply.allow ? '' : (reply.error.rule ?? '');
    const code = reply.allow ? '' : (reply.error.code ?? '');
    const id = `${reply.allow}\u0000${rule}\u0000${code}`;
    let d = this.#decisions.get(id);
    if (!d) this.#decisions.set(id, (d = { count: 0, attributes: { outcome: reply.allow ? 'allowed' : 'refused', rule, code } }));
    d.count++;
  }

  swept(calls: number): void {
    this.#swept += calls;
  }

  /** An event applied live (not while catching up at start), `recordedAt` as the log committed it. */
  eventApplied(type: string, recordedAt: string, now: number): void {
    const at = Date.parse(recordedAt);
    if (Number.isFinite(at)) this.#eventLag.record(Math.max(0, now - at) / 1000, { event_type: type });
  }

  #observeKeys(meter: ReturnType<typeof meterOf>): void {
    const g = (name: string, description: string, unit?: string) => meter.createObservableGauge(name, { description, ...(unit ? { unit } : {}) });
    const budget = {
      remaining: g('sluice.policy.budget.remaining.usd', "A key's budget left in its current period (max − spent − reserved), as policy enforces it.", 'USD'),
      max: g('sluice.policy.budget.max.usd', "A key's budget per period.", 'USD'),
      spent: g('sluice.policy.budget.spent.usd', "A key's settled spend in its current period.", 'USD'),
      reserved: g('sluice.policy.budget.reserved.usd', 'The worst case reserved for calls of the key in flight.', 'USD'),
    };
    const limitRemaining = g('sluice.policy.rate_limit.remaining', 'Requests or tokens a key may still use in each limit window.');
    const limitMax = g('sluice.policy.rate_limit.limit', "A key's limit per window.");
    const inFlight = g('sluice.policy.key.in_flight', 'Calls of a key admitted and not settled.');
    const litellm = this.settings.litellm
      ? { remaining: g('litellm_remaining_api_key_budget_metric', 'LiteLLM-compatible: remaining budget of a key.'), max: g('litellm_api_key_max_budget_metric', 'LiteLLM-compatible: max budget of a key.') }
      : null;
    const observables = [...Object.values(budget), limitRemaining, limitMax, inFlight, ...(litellm ? Object.values(litellm) : [])];

    meter.addBatchObservableCallback((r) => {
      const now = Date.now();
      for (const key of this.#limitedKeys()) {
        const state: KeyLimitState = keyLimitState(key, this.view.limiter, now);
        const labels = { key_id: key.keyId, key_name: key.name };
        r.observe(inFlight, this.view.limiter.counters(key.keyId).inFlight, labels);
        if (state.budget) {
          r.observe(budget.remaining, state.budget.remainingUsd, labels);
          r.observe(budget.max, state.budget.maxUsd, labels);
          r.observe(budget.spent, state.budget.spentUsd, labels);
          r.observe(budget.reserved, state.budget.reservedUsd, labels);
          if (litellm) {
            const alias = { hashed_api_key: key.keyId, api_key_alias: key.name };
            r.observe(litellm.remaining, state.budget.remainingUsd, alias);
            r.observe(litellm.max, state.budget.maxUsd, alias);
          }
        }
        for (const window of WINDOWS) {
          const reading = state.rateLimits[window];
          if (!reading) continue;
          const windowLabels = { ...labels, window };
          r.observe(limitRemaining, reading.remaining, windowLabels);
          r.observe(limitMax, reading.limit, windowLabels);
        }
      }
    }, observables);
  }

  /** Keys this partition holds counters for: those with a budget or rate limits. */
  *#limitedKeys(): Iterable<KeyPolicy> {
    for (const key of this.view.keys.all()) {
      if ((key.budget || key.rateLimits) && key.status !== 'revoked' && this.view.partitioning.owns(key.keyId)) yield key;
    }
  }
}
