import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { nanosOfUsd, type SluiceEvent, type UsageMessage } from '@sluice/contracts';
import { keyCreated, keyUpdated, NOW } from '../../test/given';
import { KeyTable } from '../keys/key-table';
import { rebuildFromRecords } from './rebuild';
import { endsBefore, lookUpRecords } from './recorded-calls';
import { Limiter } from './limiter';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('restoring counters from recorded usage after a restart (real Postgres)', () => {
  let t: TestDatabase;
  const correction = (requestId: string, keyId: string, startedAt: number, costUsd: number, latencyMs: number) =>
    t.db
      .insertInto('usage_corrections')
      .values({
        request_id: requestId,
        key_id: keyId,
        stream: true,
        status: 200,
        input_tokens: 10,
        cached_input_tokens: 0,
        output_tokens: 3,
        reasoning_tokens: 0,
        cost_usd: String(costUsd),
        estimated: false,
        latency_ms: latencyMs,
        ttfb_ms: null,
        started_at: new Date(startedAt),
        client_request_id: null,
        caller_user: null,
        caller_metadata: null,
      })
      .execute();
  const row = (keyId: string, startedAt: number, costUsd: number, requestId: string, latencyMs = 5, swept = false) => ({
    request_id: requestId,
    key_id: keyId,
    model: 'm',
    upstream_model: 'm',
    provider_id: 'p',
    operation: 'chat',
    stream: false,
    status: 200,
    input_tokens: 10,
    cached_input_tokens: 0,
    output_tokens: 10,
    reasoning_tokens: 0,
    cost_usd: String(costUsd),
    estimated: false,
    latency_ms: latencyMs,
    ttfb_ms: null,
    client_ip: '127.0.0.1',
    started_at: new Date(startedAt),
    client_request_id: null,
    caller_user: null,
    caller_metadata: null,
    swept,
  });
  const record = (
    keyId: string,
    startedAt: number,
    costUsd: number,
    latencyMs = 5,
    requestId: string = randomUUID(),
    swept = false,
  ) =>
    t.db
      .insertInto('usage_records')
      .values(row(keyId, startedAt, costUsd, requestId, latencyMs, swept))
      .execute();

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it('restores the hour and day windows and the budget period, and leaves calls after the cut to the stream', async () => {
    const keys = new KeyTable();
    // Created 1 h 30 min ago with an hourly budget: the current period began 30 min ago.
    keys.apply(
      keyCreated({
        createdAt: new Date(NOW - 90 * MINUTE).toISOString(),
        rateLimits: { requestsPerHour: 100, requestsPerDay: 1000 },
        budget: { maxUsd: 5, period: '1h', alertThresholds: [50], webhookUrlHint: null },
      }),
    );
    const keyId = 'key_1';
    await record(keyId, NOW - 25 * HOUR, 1); // outside every window
    await record(keyId, NOW - 5 * HOUR, 1); // in the day only
    await record(keyId, NOW - 45 * MINUTE, 0.5); // hour and day, previous budget period
    await record(keyId, NOW - 20 * MINUTE, 0.25); // hour, day, current period
    await record(keyId, NOW - 15 * MINUTE, 0.25); // hour, day, current period
    await record(keyId, NOW - 5 * MINUTE, 9); // after the cut: the stream's to count
    await record(keyId, NOW - 25 * MINUTE, 3, 20 * MINUTE); // a long stream that ended after the cut: the stream's too
    await record('other-key', NOW - 20 * MINUTE, 7);

    const limiter = new Limiter((id) => keys.byId(id));
    const until = NOW - 10 * MINUTE;
    await rebuildFromRecords(t.db, keys.all(), limiter, until, NOW);

    const counters = limiter.counters(keyId);
    expect(counters.window('requestsPerHour').used(NOW)).toBe(3);
    expect(counters.window('requestsPerDay').used(NOW)).toBe(4);
    expect(counters.budget).toMatchObject({ spent: 500_000_000, reserved: 0, periodStart: NOW - 30 * MINUTE });
  });

  describe('a budget change means the same live and after a restart', () => {
    const DAY = 24 * HOUR;
    const budget = (maxUsd: number, period: string | null) => ({
      maxUsd,
      period,
      alertThresholds: [],
      webhookUrlHint: null,
    });
    type Step = { event: SluiceEvent } | { call: { at: number; usd: number } };
    const changed = (keyId: string, at: number, after: Parameters<typeof keyUpdated>[0]): SluiceEvent => {
      const e = keyUpdated(after);
      return { ...e, data: { ...(e.data as object), keyId, updatedAt: new Date(at).toISOString() } } as SluiceEvent;
    };

    /** Policy running through the steps, settling each call as its usage arrives. */
    const live = (keyId: string, steps: Step[]) => {
      const keys = new KeyTable();
      const limiter = new Limiter((id) => keys.byId(id));
      for (const step of steps) {
        if ('event' in step) keys.apply(step.event);
        else limiter.settle(usageAt(keyId, step.call.at, step.call.usd), step.call.at + 5);
      }
      return limiter.counters(keyId).ledger(keys.byId(keyId)!, NOW)!.spent;
    };
    /** A policy started at NOW: every event replayed, every call already in metering's records. */
    const restarted = async (keyId: string, steps: Step[]) => {
      const keys = new KeyTable();
      for (const step of steps) {
        if ('event' in step) keys.apply(step.event);
        else await record(keyId, step.call.at, step.call.usd);
      }
      const limiter = new Limiter((id) => keys.byId(id));
      await rebuildFromRecords(t.db, keys.all(), limiter, NOW - MINUTE, NOW);
      return limiter.counters(keyId).budget!.spent;
    };
    const usageAt = (keyId: string, at: number, usd: number): UsageMessage => ({
      requestId: randomUUID(),
      keyId,
      model: 'm',
      upstreamModel: 'm',
      providerId: 'p',
      operation: 'chat',
      stream: false,
      status: 200,
      inputTokens: 10,
      cachedInputTokens: 0,
      outputTokens: 10,
      reasoningTokens: 0,
      estimated: false,
      latencyMs: 5,
      ttfbMs: null,
      clientIp: '127.0.0.1',
      startedAt: new Date(at).toISOString(),
      costNanos: nanosOfUsd(usd),
    });

    it('counts a lifetime budget given to an existing key from that moment, not from the key’s creation', async () => {
      const keyId = 'key_budget_later';
      const steps: Step[] = [
        {
          event: keyCreated({
            keyId,
            keyHash: 'h-later',
            createdAt: new Date(NOW - 5 * HOUR).toISOString(),
            rateLimits: { requestsPerDay: 1000 },
          }),
        },
        { call: { at: NOW - 4 * HOUR, usd: 3 } },
        { call: { at: NOW - 3 * HOUR, usd: 2 } },
        { event: changed(keyId, NOW - 2 * HOUR, { budget: budget(10, null) }) },
        { call: { at: NOW - HOUR, usd: 0.25 } },
        { call: { at: NOW - 30 * MINUTE, usd: 0.5 } },
      ];
      expect(live(keyId, steps)).toBe(750_000_000);
      expect(await restarted(keyId, steps)).toBe(750_000_000);
    });

    it('keeps the spend counted so far when the period’s length changes (30d → 1d), until the new period’s next boundary', async () => {
      const keyId = 'key_period_change';
      const createdAt = NOW - 20 * DAY - 6 * HOUR; // the 1d periods begin at 18:00, the 30d period 20 days ago
      const steps: Step[] = [
        {
          event: keyCreated({
            keyId,
            keyHash: 'h-period',
            createdAt: new Date(createdAt).toISOString(),
            budget: budget(100, '30d'),
          }),
        },
        { call: { at: NOW - 10 * DAY, usd: 4 } },
        { call: { at: NOW - 8 * HOUR, usd: 1 } }, // before the 1d period the change falls in (it began at NOW - 6 h)
        { event: changed(keyId, NOW - 2 * HOUR, { budget: budget(100, '1d') }) },
        { call: { at: NOW - HOUR, usd: 0.5 } },
      ];
      expect(live(keyId, steps)).toBe(5_500_000_000);
      expect(await restarted(keyId, steps)).toBe(5_500_000_000);
    });

    it('counts a budget removed and given again from the second time on', async () => {
      const keyId = 'key_readded';
      const steps: Step[] = [
        {
          event: keyCreated({
            keyId,
            keyHash: 'h-readded',
            createdAt: new Date(NOW - 5 * HOUR).toISOString(),
            budget: budget(10, null),
          }),
        },
        { call: { at: NOW - 4 * HOUR, usd: 3 } },
        { event: changed(keyId, NOW - 3 * HOUR, { budget: null }) },
        { call: { at: NOW - 150 * MINUTE, usd: 2 } },
        { event: changed(keyId, NOW - 2 * HOUR, { budget: budget(10, null) }) },
        { call: { at: NOW - HOUR, usd: 1 } },
      ];
      expect(live(keyId, steps)).toBe(1_000_000_000);
      expect(await restarted(keyId, steps)).toBe(1_000_000_000);
    });
  });

  it('splits calls between the records and the stream on when they ended, the same way on both sides', () => {
    const until = NOW - 10 * MINUTE;
    expect(endsBefore({ startedAt: new Date(NOW - 25 * MINUTE).toISOString(), latencyMs: 20 * MINUTE }, until)).toBe(
      false,
    );
    expect(endsBefore({ startedAt: new Date(NOW - 45 * MINUTE).toISOString(), latencyMs: 5 }, until)).toBe(true);
  });

  it('tells which calls metering recorded, and which a sweep charged, for usage written again long after the first time', async () => {
    await record('key_dup', NOW, 1, 5, 'call-recorded');
    await record('key_dup', NOW - 1000, 0.05, 5, 'call-swept', true);
    const { cut } = await rebuildFromRecords(t.db, [], new Limiter(() => undefined), NOW - 10 * MINUTE, NOW);
    expect(await lookUpRecords(t.db, ['call-recorded', 'call-swept', 'call-new'], cut, Date.now())).toEqual(
      new Map([
        [
          'call-recorded',
          {
            keyId: 'key_dup',
            swept: false,
            costNanos: 1_000_000_000,
            startedAt: NOW,
            counted: false,
            correction: null,
          },
        ],
        [
          'call-swept',
          {
            keyId: 'key_dup',
            swept: true,
            costNanos: 50_000_000,
            startedAt: NOW - 1000,
            counted: false,
            correction: null,
          },
        ],
      ]),
    );
  });

  it('counts a record as summed only when the sum’s own snapshot held it and its call ended before the cut', async () => {
    const keys = new KeyTable();
    keys.apply(
      keyCreated({
        keyId: 'key_cut',
        keyHash: 'h-cut',
        createdAt: new Date(NOW - 5 * HOUR).toISOString(),
        budget: { maxUsd: 10, period: null, alertThresholds: [], webhookUrlHint: null },
      }),
    );
    const until = NOW - 10 * MINUTE;
    await record('key_cut', NOW - 20 * MINUTE, 0.001, 5, 'ended-before-stored-before');
    await record('key_cut', NOW - 5 * MINUTE, 0.002, 5, 'ended-after-stored-before');
    const limiter = new Limiter((id) => keys.byId(id));
    // A row whose transaction is still open while the sum runs, committed right after it.
    const { cut } = await t.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('usage_records')
        .values(row('key_cut', NOW - 30 * MINUTE, 0.004, 'committed-after-the-sum'))
        .execute();
      return rebuildFromRecords(t.db, keys.all(), limiter, until, NOW);
    });
    // A recovered spool: the call began before the cut (no latency), metering stored it afterwards.
    await record('key_cut', NOW - 15 * MINUTE, 0.008, 0, 'stored-after-the-sum');
    expect(limiter.counters('key_cut').budget?.spent).toBe(1_000_000);

    const found = await lookUpRecords(
      t.db,
      ['ended-before-stored-before', 'ended-after-stored-before', 'committed-after-the-sum', 'stored-after-the-sum'],
      cut,
      Date.now(),
    );
    expect(Object.fromEntries([...found].map(([id, r]) => [id, r.counted]))).toEqual({
      'ended-before-stored-before': true,
      'ended-after-stored-before': false,
      'committed-after-the-sum': false,
      'stored-after-the-sum': false,
    });
  });

  it('counts a record stored well before the copy being looked up was published: an earlier copy stored it', async () => {
    await record('key_copy', NOW - 5 * MINUTE, 0.001, 5, 'first-copy-long-ago');
    const { cut } = await rebuildFromRecords(t.db, [], new Limiter(() => undefined), NOW - 10 * MINUTE, NOW);
    expect(
      (await lookUpRecords(t.db, ['first-copy-long-ago'], cut, Date.now())).get('first-copy-long-ago')?.counted,
    ).toBe(false);
    expect(
      (await lookUpRecords(t.db, ['first-copy-long-ago'], cut, Date.now() + 3 * MINUTE)).get('first-copy-long-ago')
        ?.counted,
    ).toBe(true);
  });

  it('tells whether a swept call’s correction is in the sum, like its record', async () => {
    const keys = new KeyTable();
    keys.apply(
      keyCreated({
        keyId: 'key_corr',
        keyHash: 'h-corr',
        createdAt: new Date(NOW - 5 * HOUR).toISOString(),
        budget: { maxUsd: 10, period: null, alertThresholds: [], webhookUrlHint: null },
      }),
    );
    const until = NOW - 10 * MINUTE;
    await record('key_corr', NOW - 2 * HOUR, 0.05, 40 * MINUTE, 'corrected-before', true);
    await correction('corrected-before', 'key_corr', NOW - 2 * HOUR, 0.002, 45 * MINUTE);
    await record('key_corr', NOW - 3 * HOUR, 0.05, 40 * MINUTE, 'corrected-after-the-sum', true);
    const { cut } = await rebuildFromRecords(t.db, keys.all(), new Limiter((id) => keys.byId(id)), until, NOW);
    await correction('corrected-after-the-sum', 'key_corr', NOW - 3 * HOUR, 0.003, 45 * MINUTE);
    const found = await lookUpRecords(t.db, ['corrected-before', 'corrected-after-the-sum'], cut, Date.now());
    expect(found.get('corrected-before')).toMatchObject({ swept: true, counted: true, correction: { counted: true } });
    expect(found.get('corrected-after-the-sum')).toMatchObject({
      swept: true,
      counted: true,
      correction: { counted: false },
    });
  });

  it('counts a swept call at its sweep, then at its real cost from when its late report (the correction) ended', async () => {
    const keys = new KeyTable();
    keys.apply(
      keyCreated({
        keyId: 'key_swept',
        keyHash: 'h-swept',
        createdAt: new Date(NOW - 5 * HOUR).toISOString(),
        budget: { maxUsd: 10, period: null, alertThresholds: [], webhookUrlHint: null },
      }),
    );
    const until = NOW - 10 * MINUTE;
    // Swept 40 min after it began (it ended before the cut); its report ended 45 min after it began.
    await record('key_swept', NOW - 2 * HOUR, 0.05, 40 * MINUTE, 'swept-corrected', true);
    await correction('swept-corrected', 'key_swept', NOW - 2 * HOUR, 0.002, 45 * MINUTE);
    // Swept before the cut; its report ended after it: the stream replay corrects that one.
    await record('key_swept', NOW - 50 * MINUTE, 0.05, 35 * MINUTE, 'swept-report-after-cut', true);
    await correction('swept-report-after-cut', 'key_swept', NOW - 50 * MINUTE, 0.003, 45 * MINUTE);
    const limiter = new Limiter((id) => keys.byId(id));
    await rebuildFromRecords(t.db, keys.all(), limiter, until, NOW);
    expect(limiter.counters('key_swept').budget?.spent).toBe(2_000_000 + 50_000_000);
  });
});
