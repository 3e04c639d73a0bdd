import type { AuthorizeReply, KeyLimitState } from '@sluice/contracts';
import {
  collectDirectly,
  FINE_SECONDS_BUCKETS,
  gaugeData,
  meterOf,
  metricsSettings,
  type Attributes,
  type HrTime,
  type MetricData,
  type MetricsSettings,
  type Point,
} from '@sluice/telemetry';
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

interface KeyLabels {
  name: string;
  key: Attributes;
  windows: Record<(typeof WINDOWS)[number], Attributes>;
  litellm: Attributes;
}

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
  readonly #keyLabels = new Map<string, KeyLabels>();

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
    const decisions = meter.createObservableCounter('sluice.policy.decisions', {
      description: 'Authorize decisions by outcome, the rule that refused the call and its error code.',
    });
    const swept = meter.createObservableCounter('sluice.policy.reservations.swept', {
      description: 'Admitted calls that never reported usage, charged their reserved worst case.',
    });
    const reservations = meter.createObservableGauge('sluice.policy.reservations', {
      description: 'Calls admitted with limits whose usage has not settled yet (in flight).',
    });
    meter.addBatchObservableCallback(
      (r) => {
        for (const d of this.#decisions.values()) r.observe(decisions, d.count, d.attributes);
        r.observe(swept, this.#swept);
        r.observe(reservations, this.view.limiter.reservations.size);
      },
      [decisions, swept, reservations],
    );
    if (settings.keyLabels) collectDirectly('policy', (now) => this.#collectKeyGauges(now));
  }

  decided(reply: AuthorizeReply): void {
    const rule = reply.allow ? '' : (reply.error.rule ?? '');
    const code = reply.allow ? '' : (reply.error.code ?? '');
    const id = `${reply.allow}\u0000${rule}\u0000${code}`;
    let d = this.#decisions.get(id);
    if (!d)
      this.#decisions.set(
        id,
        (d = { count: 0, attributes: { outcome: reply.allow ? 'allowed' : 'refused', rule, code } }),
      );
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

  /** Per-key gauges, read from the counters at each collection (DirectMetrics: no attribute hashing per series). */
  #collectKeyGauges(now: HrTime): MetricData[] {
    const at = Date.now();
    const budget = { remaining: [] as Point[], max: [] as Point[], spent: [] as Point[], reserved: [] as Point[] };
    const limits = { remaining: [] as Point[], limit: [] as Point[] };
    const inFlight: Point[] = [];
    const litellm = { remaining: [] as Point[], max: [] as Point[] };
    for (const key of this.#limitedKeys()) {
      const state: KeyLimitState = keyLimitState(key, this.view.limiter, at);
      const labels = this.#labelsOf(key);
      const c = this.view.limiter.counters(key.keyId);
      inFlight.push({ attributes: labels.key, value: Math.max(0, c.inFlight - c.unspent().slots) });
      if (state.budget) {
        budget.remaining.push({ attributes: labels.key, value: state.budget.remainingUsd });
        budget.max.push({ attributes: labels.key, value: state.budget.maxUsd });
        budget.spent.push({ attributes: labels.key, value: state.budget.spentUsd });
        budget.reserved.push({ attributes: labels.key, value: state.budget.reservedUsd });
        litellm.remaining.push({ attributes: labels.litellm, value: state.budget.remainingUsd });
        litellm.max.push({ attributes: labels.litellm, value: state.budget.maxUsd });
      }
      for (const window of WINDOWS) {
        const reading = state.rateLimits[window];
        if (!reading) continue;
        limits.remaining.push({ attributes: labels.windows[window], value: reading.remaining });
        limits.limit.push({ attributes: labels.windows[window], value: reading.limit });
      }
    }
    const data = [
      gaugeData(
        'sluice.policy.budget.remaining.usd',
        {
          description: "A key's budget left in its current period (max − spent − reserved), as policy enforces it.",
          unit: 'USD',
        },
        now,
        budget.remaining,
      ),
      gaugeData(
        'sluice.policy.budget.max.usd',
        { description: "A key's budget per period.", unit: 'USD' },
        now,
        budget.max,
      ),
      gaugeData(
        'sluice.policy.budget.spent.usd',
        { description: "A key's settled spend in its current period.", unit: 'USD' },
        now,
        budget.spent,
      ),
      gaugeData(
        'sluice.policy.budget.reserved.usd',
        { description: 'The worst case reserved for calls of the key in flight.', unit: 'USD' },
        now,
        budget.reserved,
      ),
      gaugeData(
        'sluice.policy.rate_limit.remaining',
        { description: 'Requests or tokens a key may still use in each limit window.' },
        now,
        limits.remaining,
      ),
      gaugeData('sluice.policy.rate_limit.limit', { description: "A key's limit per window." }, now, limits.limit),
      gaugeData(
        'sluice.policy.key.in_flight',
        { description: 'Calls of a key admitted and not settled.' },
        now,
        inFlight,
      ),
    ];
    if (this.settings.litellm) {
      data.push(
        gaugeData(
          'litellm_remaining_api_key_budget_metric',
          { description: 'LiteLLM-compatible: remaining budget of a key.' },
          now,
          litellm.remaining,
        ),
        gaugeData(
          'litellm_api_key_max_budget_metric',
          { description: 'LiteLLM-compatible: max budget of a key.' },
          now,
          litellm.max,
        ),
      );
    }
    return data;
  }

  /** A key's attribute sets, made again only when its name changes. */
  #labelsOf(key: KeyPolicy): KeyLabels {
    let labels = this.#keyLabels.get(key.keyId);
    if (labels?.name !== key.name) {
      const k = { key_id: key.keyId, key_name: key.name };
      const windows = {
        requestsPerMinute: {},
        requestsPerHour: {},
        requestsPerDay: {},
        tokensPerMinute: {},
      } as KeyLabels['windows'];
      for (const window of WINDOWS) windows[window] = { ...k, window };
      this.#keyLabels.set(
        key.keyId,
        (labels = { name: key.name, key: k, windows, litellm: { hashed_api_key: key.keyId, api_key_alias: key.name } }),
      );
    }
    return labels;
  }

  /** Keys this partition holds counters for: those with a budget or rate limits. */
  *#limitedKeys(): Iterable<KeyPolicy> {
    for (const key of this.view.keys.all()) {
      if ((key.budget || key.rateLimits) && key.status !== 'revoked' && this.view.partitioning.owns(key.keyId))
        yield key;
    }
  }
}
