import { normalizeBudget } from '@sluice/contracts';
import {
  given,
  keyBudgetReset,
  keyBudgetThresholdReached,
  keyCreated,
  keyDisabled,
  keyEnabled,
  keyRegenerated,
  keyRevoked,
  keyUpdated,
} from '../../test/given';

describe('the key aggregate folds its stream', () => {
  it('follows the status through disable, enable and revoke', () => {
    expect(given().state.status).toBe('none');
    expect(given(keyCreated()).state.status).toBe('active');
    expect(given(keyCreated(), keyDisabled).state.status).toBe('disabled');
    expect(given(keyCreated(), keyDisabled, keyEnabled).state.status).toBe('active');
    expect(given(keyCreated(), keyDisabled, keyRevoked).state).toMatchObject({
      status: 'revoked',
      revokedAt: expect.any(String),
    });
  });

  it('keeps the settings of the last update and the hash of the last regeneration', () => {
    const state = given(
      keyCreated({ models: ['gpt-*'], description: 'a' }),
      keyUpdated({ models: ['gpt-*'] }, { models: null }),
      keyRegenerated(),
      keyDisabled,
    ).state;
    expect(state).toMatchObject({
      status: 'disabled',
      keyHash: 'hash-2',
      settings: { name: 'app', models: null, description: 'a' },
    });
  });

  it('keeps rate limits and budget through updates, disable, enable and revoke', () => {
    const budget = normalizeBudget({ maxUsd: 10, period: '1d' });
    const raised = normalizeBudget({ maxUsd: 20, period: '1d' });
    const state = given(
      keyCreated({ rateLimits: { requestsPerMinute: 60 }, budget }),
      keyUpdated({ budget }, { budget: raised }),
      keyDisabled,
      keyEnabled,
      keyRevoked,
    ).state;
    expect(state).toMatchObject({
      status: 'revoked',
      settings: { rateLimits: { requestsPerMinute: 60 }, budget: raised },
    });
  });

  it('tracks the budget period and the thresholds reached in it; a reset clears them', () => {
    const start = '2026-11-23T12:00:00.000Z';
    const created = keyCreated({ createdAt: start, budget: normalizeBudget({ maxUsd: 10, period: '1h' }) });
    const inFirst = given(
      created,
      keyBudgetThresholdReached({ thresholdPercent: 50, periodStart: start }),
      keyDisabled,
      keyBudgetThresholdReached({ thresholdPercent: 80, periodStart: start }),
    ).state;
    expect(inFirst).toMatchObject({ budgetPeriod: { start, thresholdsPeriodStart: start, percents: [50, 80] } });

    const reset = keyBudgetReset({ previousPeriodStart: start });
    const next = (reset.data as { periodStart: string }).periodStart;
    expect(given(created, keyBudgetThresholdReached({ periodStart: start }), reset).state).toMatchObject({
      budgetPeriod: { start: next, thresholdsPeriodStart: next, percents: [] },
    });
  });
});
