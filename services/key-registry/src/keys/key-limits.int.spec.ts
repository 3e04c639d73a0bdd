import { ErrorCodes, normalizeBudget } from '@sluice/contracts';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { readStream } from '@sluice/event-store';
import { UpstreamAllowList } from '@sluice/net-policy';
import type { Deps } from '../shared/deps';
import { createKey } from './create-key/create-key.handler';
import { recordBudgetThreshold } from './record-budget-threshold/record-budget-threshold.handler';
import { revokeKey } from './revoke-key/revoke-key.handler';
import { updateKey } from './update-key/update-key.handler';
import { testDeps } from '../../test/deps';

const actor = { actor: 'admin:test', requestId: 'req-limits' };
/** hooks.example.com is public, internal.example.com resolves to the cloud metadata address. */
const upstream = {
  allow: UpstreamAllowList.none,
  resolve: async (host: string) => [{ address: host === 'internal.example.com' ? '169.254.169.254' : '93.184.215.14' }],
};

describe('key rate limits, budgets and budget thresholds (real Postgres)', () => {
  let t: TestDatabase;
  let deps: Deps;
  const clock = new Date('2026-11-24T12:00:00.000Z');

  beforeAll(async () => {
    t = await createTestDatabase();
    deps = testDeps(t.db, () => clock, { upstream });
  });
  afterAll(() => t.drop());

  const row = (keyId: string) =>
    t.db
      .selectFrom('keys_view')
      .select(['rate_limits', 'budget', 'budget_period_start', 'budget_thresholds_reached', 'version'])
      .where('id', '=', keyId)
      .executeTakeFirstOrThrow();

  it('stores rate limits and the budget at creation, and replaces or removes them on PATCH', async () => {
    const { keyId } = await createKey(deps, {
      body: { name: 'limited', rateLimits: { requestsPerMinute: 600 }, budget: { maxUsd: 1, period: '1d' } },
      actor,
    });
    expect(await row(keyId)).toMatchObject({
      rate_limits: { requestsPerMinute: 600 },
      budget: { maxUsd: 1, period: '1d', alertThresholds: [50, 80, 100], webhookUrlHint: null },
      budget_period_start: clock,
      budget_thresholds_reached: [],
    });

    await updateKey(deps, {
      keyId,
      body: { budget: { maxUsd: 5, webhookUrl: 'https://hooks.example.com/sluice?token=s3cret' } },
      actor,
    });
    expect(await row(keyId)).toMatchObject({
      rate_limits: { requestsPerMinute: 600 },
      budget: normalizeBudget({ maxUsd: 5, webhookUrl: 'https://hooks.example.com/sluice?token=s3cret' }),
    });

    await updateKey(deps, { keyId, body: { rateLimits: null, budget: null }, actor });
    expect(await row(keyId)).toMatchObject({ rate_limits: null, budget: null, version: 3 });
  });

  it('refuses a webhook URL that points inside the network, at creation and on PATCH', async () => {
    const refused = { code: ErrorCodes.keyWebhookUrlNotAllowed, details: { param: 'budget.webhookUrl' } };
    await expect(
      createKey(deps, {
        body: { name: 'ssrf', budget: { maxUsd: 1, webhookUrl: 'http://169.254.169.254/latest' } },
        actor,
      }),
    ).rejects.toMatchObject(refused);
    await expect(
      createKey(deps, {
        body: { name: 'ssrf', budget: { maxUsd: 1, webhookUrl: 'https://internal.example.com/hook' } },
        actor,
      }),
    ).rejects.toMatchObject(refused);
    const { keyId } = await createKey(deps, { body: { name: 'ssrf', budget: { maxUsd: 1 } }, actor });
    await expect(
      updateKey(deps, { keyId, body: { budget: { maxUsd: 1, webhookUrl: 'http://127.0.0.1:9000/hook' } }, actor }),
    ).rejects.toMatchObject(refused);
    expect(await readStream(t.db, `key-${keyId}`)).toHaveLength(1);
  });

  it('records a threshold once per period, as policy, however often and concurrently policy reports it', async () => {
    const { keyId } = await createKey(deps, {
      body: { name: 'thresholds', budget: { maxUsd: 10, period: '1d' } },
      actor,
    });
    const report = { keyId, thresholdPercent: 80, periodStart: clock.toISOString(), spentUsd: 8.01, maxUsd: 10 };
    const results = await Promise.all(Array.from({ length: 5 }, () => recordBudgetThreshold(deps, report)));
    expect(results.filter((r) => r.recorded)).toHaveLength(1);
    expect(await recordBudgetThreshold(deps, report)).toEqual({ keyId, recorded: false });

    const events = await readStream(t.db, `key-${keyId}`);
    expect(events.map((e) => e.type)).toEqual(['KeyCreated', 'KeyBudgetThresholdReached']);
    expect(events[1]).toMatchObject({
      data: { thresholdPercent: 80, periodStart: report.periodStart, spentUsd: 8.01 },
      metadata: { actor: 'policy' },
    });
    await recordBudgetThreshold(deps, { ...report, thresholdPercent: 50, spentUsd: 8.01 });
    expect((await row(keyId)).budget_thresholds_reached).toEqual([80, 50]);
  });

  it('ignores a report on a key revoked meanwhile, and refuses an unknown key or a malformed report', async () => {
    const { keyId } = await createKey(deps, { body: { name: 'gone', budget: { maxUsd: 10 } }, actor });
    await revokeKey(deps, { keyId, actor });
    const report = { keyId, thresholdPercent: 100, periodStart: clock.toISOString(), spentUsd: 10, maxUsd: 10 };
    expect(await recordBudgetThreshold(deps, report)).toEqual({ keyId, recorded: false });
    expect(await readStream(t.db, `key-${keyId}`)).toHaveLength(2);
    await expect(recordBudgetThreshold(deps, { ...report, keyId: 'key_unknown' })).rejects.toMatchObject({
      code: ErrorCodes.keyNotFound,
    });
    await expect(recordBudgetThreshold(deps, { ...report, periodStart: 'yesterday' })).rejects.toMatchObject({
      code: ErrorCodes.validation,
    });
  });
});
