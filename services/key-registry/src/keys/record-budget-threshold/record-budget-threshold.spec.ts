import { normalizeBudget, type RecordBudgetThresholdRequest } from '@sluice/contracts';
import {
  ErrorCodes,
  given,
  iso,
  keyBudgetReset,
  keyBudgetThresholdReached,
  keyCreated,
  keyRevoked,
  keyUpdated,
  NOW,
} from '../../../test/given';
import { decideRecordBudgetThreshold } from './record-budget-threshold';

const HOUR = 3_600_000;
const createdAt = iso(NOW.getTime() - 24 * HOUR - 10 * 60_000);
const currentStart = iso(NOW.getTime() - 10 * 60_000);
const previousStart = iso(NOW.getTime() - 70 * 60_000);
const hourly = normalizeBudget({ maxUsd: 10, period: '1h' });
const created = keyCreated({ createdAt, budget: hourly });
const inCurrentPeriod = keyBudgetReset({ previousPeriodStart: previousStart, periodStart: currentStart });

const report =
  (over: Partial<RecordBudgetThresholdRequest> = {}, now = NOW) =>
  (state: Parameters<typeof decideRecordBudgetThreshold>[1]) =>
    decideRecordBudgetThreshold(
      {
        type: 'RecordBudgetThreshold',
        request: {
          keyId: 'key_1',
          thresholdPercent: 80,
          periodStart: currentStart,
          spentUsd: 8.2,
          maxUsd: 10,
          ...over,
        },
        now,
      },
      state,
    );
const reached = (percent: number, periodStart = currentStart, spentUsd = 8.2) => ({
  type: 'KeyBudgetThresholdReached' as const,
  data: { keyId: 'key_1', thresholdPercent: percent, periodStart, spentUsd, maxUsd: 10, reachedAt: NOW.toISOString() },
});

describe('record a budget threshold (from policy)', () => {
  it('records a threshold crossed in the current period', () => {
    given(created, inCurrentPeriod)
      .when(report())
      .then([reached(80)]);
  });

  it('records each threshold once per period: a repeat from policy decides nothing', () => {
    given(created, inCurrentPeriod, keyBudgetThresholdReached({ thresholdPercent: 80, periodStart: currentStart }))
      .when(report())
      .then([]);
    given(created, inCurrentPeriod, keyBudgetThresholdReached({ thresholdPercent: 50, periodStart: currentStart }))
      .when(report({ thresholdPercent: 100, spentUsd: 10 }))
      .then([reached(100, currentStart, 10)]);
  });

  it('records the same threshold again after a reset, in the new period', () => {
    given(
      keyCreated({ createdAt, budget: hourly }),
      keyBudgetReset({ previousPeriodStart: createdAt, periodStart: previousStart }),
      keyBudgetThresholdReached({ thresholdPercent: 80, periodStart: previousStart }),
      inCurrentPeriod,
    )
      .when(report())
      .then([reached(80)]);
  });

  it('ignores a late report for a period that has ended', () => {
    given(created, inCurrentPeriod)
      .when(report({ periodStart: previousStart }))
      .then([]);
  });

  it('records the reset first when the report opens a period not recorded yet', () => {
    given(created)
      .when(report())
      .then([
        {
          type: 'KeyBudgetReset',
          data: {
            keyId: 'key_1',
            previousPeriodStart: createdAt,
            periodStart: currentStart,
            resetsAt: iso(NOW.getTime() + 50 * 60_000),
            resetAt: NOW.toISOString(),
          },
        },
        reached(80),
      ]);
  });

  it("believes policy's clock a little ahead at a boundary, but not a period far in the future", () => {
    const nextStart = iso(NOW.getTime() + 50 * 60_000);
    const justBefore = new Date(NOW.getTime() + 50 * 60_000 - 2000);
    const decided = given(created, inCurrentPeriod).state;
    expect(report({ periodStart: nextStart }, justBefore)(decided).map((e) => e.type)).toEqual([
      'KeyBudgetReset',
      'KeyBudgetThresholdReached',
    ]);
    given(created, inCurrentPeriod)
      .when(report({ periodStart: nextStart }))
      .then([]);
  });

  it('ignores a threshold the key does not have (any more)', () => {
    given(created, inCurrentPeriod)
      .when(report({ thresholdPercent: 90 }))
      .then([]);
    const only100 = normalizeBudget({ maxUsd: 10, period: '1h', alertThresholds: [100] });
    given(created, inCurrentPeriod, keyUpdated({ budget: hourly }, { budget: only100 }))
      .when(report())
      .then([]);
  });

  it('records thresholds of a lifetime budget in its one period, from creation', () => {
    given(keyCreated({ createdAt, budget: normalizeBudget({ maxUsd: 10 }) }))
      .when(report({ periodStart: createdAt }))
      .then([reached(80, createdAt)]);
  });

  it('ignores a key revoked meanwhile or without a budget, and refuses an unknown key', () => {
    given(created, inCurrentPeriod, keyRevoked).when(report()).then([]);
    given(keyCreated({ createdAt }), inCurrentPeriod).when(report()).then([]);
    given().when(report()).thenThrows(ErrorCodes.keyNotFound);
  });
});
