import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@sluice/db';
import { keyCreated, NOW } from '../../test/given';
import { KeyTable } from '../keys/key-table';
import { endsBefore, rebuildFromRecords, recordedAlready } from './rebuild';
import { Limiter } from './limiter';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('restoring counters from recorded usage after a restart (real Postgres)', () => {
  let t: TestDatabase;
  const record = (keyId: string, startedAt: number, costUsd: number, latencyMs = 5, requestId: string = randomUUID()) =>
    t.db
      .insertInto('usage_records')
      .values({
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
      })
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
        budget: { maxUsd: 5, period: '1h', alertThresholds: [50], webhookUrl: null },
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

  it('splits calls between the records and the stream on when they ended, the same way on both sides', () => {
    const until = NOW - 10 * MINUTE;
    expect(endsBefore({ startedAt: new Date(NOW - 25 * MINUTE).toISOString(), latencyMs: 20 * MINUTE }, until)).toBe(false);
    expect(endsBefore({ startedAt: new Date(NOW - 45 * MINUTE).toISOString(), latencyMs: 5 }, until)).toBe(true);
  });

  it('tells which calls metering recorded already, for usage written again long after the first time', async () => {
    await record('key_dup', NOW, 1, 5, 'call-recorded');
    expect(await recordedAlready(t.db, ['call-recorded', 'call-new'])).toEqual(new Set(['call-recorded']));
  });
});
