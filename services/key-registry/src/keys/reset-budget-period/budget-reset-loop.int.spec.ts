import { readStream } from '@sluice/event-store';
import { waitFor, createTestDatabase, type TestDatabase } from '@sluice/testing';
import type { Deps } from '../../shared/deps';
import { createKey } from '../create-key/create-key.handler';
import { revokeKey } from '../revoke-key/revoke-key.handler';
import { BudgetResetLoop } from './budget-reset-loop';
import { testDeps } from '../../../test/deps';

const actor = { actor: 'admin:test' };
const MINUTE = 60_000;
const silent = { info: () => {}, warn: () => {}, error: () => {} };

describe('the budget reset loop (real Postgres, injected clock)', () => {
  let t: TestDatabase;
  let deps: Deps;
  const t0 = new Date('2026-11-24T12:00:00.000Z');
  let clock = t0;
  const at = (ms: number) => new Date(t0.getTime() + ms).toISOString();
  const loops: BudgetResetLoop[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    deps = testDeps(t.db, () => clock);
  });
  afterAll(async () => {
    await Promise.all(loops.map((l) => l.stop()));
    await t.drop();
  });

  const startLoop = () => {
    const loop = new BudgetResetLoop({ deps, databaseUrl: t.url, intervalMs: 20, lockRetryMs: 50, logger: silent });
    loop.start();
    loops.push(loop);
    return loop;
  };
  const resets = async (keyId: string) =>
    (await readStream(t.db, `key-${keyId}`)).filter((e) => e.type === 'KeyBudgetReset');
  const periodStart = async (keyId: string) =>
    (
      await t.db.selectFrom('keys_view').select('budget_period_start').where('id', '=', keyId).executeTakeFirstOrThrow()
    ).budget_period_start?.toISOString();

  it('resets a 1m budget once when its period ends, jumping over periods that passed unseen, in one process at a time', async () => {
    const perMinute = (
      await createKey(deps, { body: { name: 'per-minute', budget: { maxUsd: 1, period: '1m' } }, actor })
    ).keyId;
    const lifetime = (await createKey(deps, { body: { name: 'lifetime', budget: { maxUsd: 1 } }, actor })).keyId;
    const revoked = (await createKey(deps, { body: { name: 'revoked', budget: { maxUsd: 1, period: '1m' } }, actor }))
      .keyId;
    const unlimited = (await createKey(deps, { body: { name: 'unlimited' }, actor })).keyId;
    await revokeKey(deps, { keyId: revoked, actor });

    const first = startLoop();
    const second = startLoop();
    await waitFor(() => first.isLeading || second.isLeading, { description: 'a leader' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await resets(perMinute)).toHaveLength(0);

    clock = new Date(t0.getTime() + 3.5 * MINUTE);
    await waitFor(async () => (await periodStart(perMinute)) === at(3 * MINUTE), {
      description: 'the per-minute key to reset',
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [reset] = await resets(perMinute);
    expect(await resets(perMinute)).toHaveLength(1);
    expect(reset).toMatchObject({
      data: {
        keyId: perMinute,
        previousPeriodStart: at(0),
        periodStart: at(3 * MINUTE),
        resetsAt: at(4 * MINUTE),
        resetAt: at(3.5 * MINUTE),
      },
      metadata: { actor: 'key-registry:budget-reset' },
    });
    for (const keyId of [lifetime, revoked, unlimited]) expect(await resets(keyId)).toHaveLength(0);
    expect([first.isLeading, second.isLeading].filter(Boolean)).toHaveLength(1);

    // The leader goes away; the standby takes over and resets the next period.
    const leader = first.isLeading ? first : second;
    await leader.stop();
    clock = new Date(t0.getTime() + 4 * MINUTE);
    await waitFor(async () => (await periodStart(perMinute)) === at(4 * MINUTE), {
      description: 'the standby to reset the next period',
    });
    expect(
      (await resets(perMinute)).map((e) => (e.data as { previousPeriodStart: string }).previousPeriodStart),
    ).toEqual([at(0), at(3 * MINUTE)]);
  });
});
