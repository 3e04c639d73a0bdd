import type { KeyLimitState, KeyView } from '@sluice/contracts';
import { storedBudgetView, withLiveState } from './key-limits-view';

const createdAt = new Date('2026-11-01T14:05:00.000Z');
const settings = { maxUsd: 10, period: '1d', alertThresholds: [50, 80, 100], webhookUrlHint: null };
const now = new Date('2026-11-24T09:00:00.000Z');

const key = (over: Partial<KeyView> = {}): KeyView => ({
  id: 'key_1',
  name: 'k',
  description: null,
  status: 'active',
  keyHint: 'sk-…',
  models: null,
  operations: null,
  rateLimits: { requestsPerMinute: 60 },
  budget: storedBudgetView({ settings, createdAt, periodStart: null, thresholdsReached: null }, now),
  ipAllowlist: null,
  providerIds: null,
  previousKeyExpiresAt: null,
  expiresAt: null,
  metadata: {},
  createdAt: createdAt.toISOString(),
  revokedAt: null,
  lastUsedAt: null,
  usage: { requests: 0, inputTokens: 0, outputTokens: 0, spendUsd: 0 },
  ...over,
});

const live: KeyLimitState = {
  keyId: 'key_1',
  rateLimits: { requestsPerMinute: { limit: 60, used: 3, inFlight: 1, remaining: 57, resetsInMs: 0 } },
  budget: {
    ...settings,
    anchor: 'key-created',
    periodStart: '2026-11-23T14:05:00.000Z',
    resetsAt: '2026-11-24T14:05:00.000Z',
    spentUsd: 2.5,
    reservedUsd: 0.5,
    remainingUsd: 7,
    thresholdsReached: [],
  },
};

describe("a key's budget and rate limits on the admin API", () => {
  it('shows the current period from the read model alone: anchored at creation, resetting at the same UTC time each day', () => {
    expect(storedBudgetView({ settings, createdAt, periodStart: null, thresholdsReached: null }, now)).toEqual({
      ...settings,
      anchor: 'key-created',
      periodStart: '2026-11-23T14:05:00.000Z',
      resetsAt: '2026-11-24T14:05:00.000Z',
      thresholdsReached: [],
    });
  });

  it('shows a lifetime budget as one period from creation that never resets', () => {
    const lifetime = storedBudgetView(
      { settings: { ...settings, period: null }, createdAt, periodStart: createdAt, thresholdsReached: [50] },
      now,
    );
    expect(lifetime).toMatchObject({ periodStart: createdAt.toISOString(), resetsAt: null, thresholdsReached: [50] });
  });

  it('shows the thresholds recorded for the current period, never those of a period that has ended', () => {
    const current = new Date('2026-11-23T14:05:00.000Z');
    const ended = new Date('2026-11-22T14:05:00.000Z');
    expect(
      storedBudgetView({ settings, createdAt, periodStart: current, thresholdsReached: [50, 80] }, now)
        ?.thresholdsReached,
    ).toEqual([50, 80]);
    expect(
      storedBudgetView({ settings, createdAt, periodStart: ended, thresholdsReached: [50, 80] }, now)
        ?.thresholdsReached,
    ).toEqual([]);
  });

  it('is null without a budget', () => {
    expect(storedBudgetView({ settings: null, createdAt, periodStart: null, thresholdsReached: null }, now)).toBeNull();
  });

  it("adds policy's spend, reservations, remaining budget and rate-limit windows", () => {
    const view = withLiveState(key(), live);
    expect(view.budget).toEqual({ ...live.budget, anchor: 'key-created' });
    expect(view.rateLimitState).toEqual(live.rateLimits);
  });

  it('keeps the settings of the read model, where changes are recorded first', () => {
    const view = withLiveState(
      key({
        budget: storedBudgetView(
          { settings: { ...settings, maxUsd: 20 }, createdAt, periodStart: null, thresholdsReached: null },
          now,
        ),
      }),
      live,
    );
    expect(view.budget).toMatchObject({ maxUsd: 20, spentUsd: 2.5 });
  });

  it('shows no budget once removed, even while policy still reports one', () => {
    expect(withLiveState(key({ budget: null }), live).budget).toBeNull();
  });

  it('shows the settings without live fields when policy did not report the key', () => {
    const stored = key();
    const view = withLiveState(stored, undefined);
    expect(view).toEqual(stored);
    expect(view.budget).not.toHaveProperty('spentUsd');
    expect(view).not.toHaveProperty('rateLimitState');
  });
});
