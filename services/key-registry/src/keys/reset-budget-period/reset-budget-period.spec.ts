import { normalizeBudget } from '@sluice/contracts';
import {
  ErrorCodes,
  given,
  iso,
  keyBudgetReset,
  keyCreated,
  keyDisabled,
  keyRevoked,
  keyUpdated,
  NOW,
} from '../../../test/given';
import { decideResetBudgetPeriod } from './reset-budget-period';

const HOUR = 3_600_000;
const createdAt = iso(NOW.getTime() - 24 * HOUR - 10 * 60_000);
const hourly = normalizeBudget({ maxUsd: 10, period: '1h' });
const reset =
  (at = NOW) =>
  (state: Parameters<typeof decideResetBudgetPeriod>[1]) =>
    decideResetBudgetPeriod({ type: 'ResetBudgetPeriod', keyId: 'key_1', now: at }, state);

describe('reset a budget period', () => {
  it('starts the current period with one reset, however many periods went by unrecorded', () => {
    given(keyCreated({ createdAt, budget: hourly }))
      .when(reset())
      .then([
        {
          type: 'KeyBudgetReset',
          data: {
            keyId: 'key_1',
            previousPeriodStart: createdAt,
            periodStart: iso(NOW.getTime() - 10 * 60_000),
            resetsAt: iso(NOW.getTime() + 50 * 60_000),
            resetAt: NOW.toISOString(),
          },
        },
      ]);
  });

  it('decides nothing when the recorded period is still the current one', () => {
    const current = keyBudgetReset({ previousPeriodStart: createdAt, periodStart: iso(NOW.getTime() - 10 * 60_000) });
    given(keyCreated({ createdAt, budget: hourly }), current)
      .when(reset())
      .then([]);
    given(keyCreated({ createdAt, budget: hourly }), current)
      .when(reset(new Date(NOW.getTime() + 49 * 60_000)))
      .then([]);
  });

  it('resets from the last recorded period when the next boundary passes', () => {
    const current = keyBudgetReset({ previousPeriodStart: createdAt, periodStart: iso(NOW.getTime() - 10 * 60_000) });
    given(keyCreated({ createdAt, budget: hourly }), current)
      .when(reset(new Date(NOW.getTime() + 51 * 60_000)))
      .then([
        {
          type: 'KeyBudgetReset',
          data: {
            keyId: 'key_1',
            previousPeriodStart: iso(NOW.getTime() - 10 * 60_000),
            periodStart: iso(NOW.getTime() + 50 * 60_000),
            resetsAt: iso(NOW.getTime() + 110 * 60_000),
            resetAt: iso(NOW.getTime() + 51 * 60_000),
          },
        },
      ]);
  });

  it('never resets a lifetime budget, a key without a budget or a revoked key', () => {
    given(keyCreated({ createdAt, budget: normalizeBudget({ maxUsd: 10 }) }))
      .when(reset())
      .then([]);
    given(keyCreated({ createdAt })).when(reset()).then([]);
    given(keyCreated({ createdAt, budget: hourly }), keyRevoked)
      .when(reset())
      .then([]);
  });

  it('resets a disabled key: its spend restarts like any other', () => {
    given(keyCreated({ createdAt, budget: hourly }), keyDisabled)
      .when(reset())
      .then([expect.objectContaining({ type: 'KeyBudgetReset' })]);
  });

  it('does not reset spend when a PATCH makes the period longer: the recorded start stays', () => {
    const current = keyBudgetReset({ previousPeriodStart: createdAt, periodStart: iso(NOW.getTime() - 10 * 60_000) });
    const weekly = normalizeBudget({ maxUsd: 10, period: '7d' });
    given(keyCreated({ createdAt, budget: hourly }), current, keyUpdated({ budget: hourly }, { budget: weekly }))
      .when(reset())
      .then([]);
  });

  it('counts a budget given to an existing key from the period of the change, not from the key’s creation', () => {
    // The budget was added an hour ago (in the period that began at NOW - 70 min); one period has passed since.
    given(keyCreated({ createdAt, budget: null }), keyUpdated({ budget: null }, { budget: hourly }))
      .when(reset())
      .then([
        {
          type: 'KeyBudgetReset',
          data: {
            keyId: 'key_1',
            previousPeriodStart: iso(NOW.getTime() - 70 * 60_000),
            periodStart: iso(NOW.getTime() - 10 * 60_000),
            resetsAt: iso(NOW.getTime() + 50 * 60_000),
            resetAt: NOW.toISOString(),
          },
        },
      ]);
  });

  it('refuses a key that does not exist', () => {
    given().when(reset()).thenThrows(ErrorCodes.keyNotFound);
  });
});
