import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { keyUsage, usageOverview } from './usage-queries';
import { resolveRange } from './usage-range';

interface Call {
  key: string;
  model: string;
  provider: string;
  at: string;
  input: number;
  output: number;
  cost: string;
  status?: number;
  session?: string;
}

describe('usage queries (real Postgres)', () => {
  let t: TestDatabase;
  let n = 0;
  const insert = (c: Call) =>
    t.db
      .insertInto('usage_records')
      .values({
        request_id: `req-${++n}`,
        key_id: c.key,
        model: c.model,
        upstream_model: c.model,
        provider_id: c.provider,
        operation: 'chat',
        stream: false,
        status: c.status ?? 200,
        input_tokens: c.input,
        cached_input_tokens: 1,
        cache_write_input_tokens: 2,
        output_tokens: c.output,
        reasoning_tokens: 2,
        cost_usd: c.cost,
        estimated: false,
        latency_ms: 5,
        ttfb_ms: null,
        client_ip: '127.0.0.1',
        started_at: c.at,
        session_id: c.session ?? null,
      })
      .execute();

  beforeAll(async () => {
    t = await createTestDatabase();
    const created_at = new Date();
    for (const [id, name, hash] of [
      ['k1', 'alpha', 'h1'],
      ['k2', 'beta', 'h2'],
    ]) {
      await t.db
        .insertInto('keys_view')
        .values({
          id,
          name,
          status: 'active',
          key_hash: hash,
          key_hint: 'sk-…',
          metadata: '{}',
          created_at,
          version: 1,
        })
        .execute();
    }
    await t.db
      .insertInto('providers_view')
      .values({ id: 'p1', name: 'OpenAI prod', type: 'openai', secret_version: 1, created_at })
      .execute();
    await insert({
      key: 'k1',
      model: 'gpt-a',
      provider: 'p1',
      at: '2026-11-20T00:00:00Z',
      input: 10,
      output: 5,
      cost: '0.0000100000',
      session: 'sess-1',
    });
    await insert({
      key: 'k1',
      model: 'gpt-a',
      provider: 'p1',
      at: '2026-11-20T23:59:59.999Z',
      input: 20,
      output: 6,
      cost: '0.0000200000',
      status: 502,
      session: 'sess-1',
    });
    await insert({
      key: 'k1',
      model: 'gpt-b',
      provider: 'p2',
      at: '2026-11-22T10:15:00Z',
      input: 30,
      output: 7,
      cost: '0.1000000000',
    });
    await insert({
      key: 'k2',
      model: 'gpt-a',
      provider: 'p1',
      at: '2026-11-21T05:00:00Z',
      input: 40,
      output: 8,
      cost: '0.000000001',
    });
    // outside [from, to): the upper bound is exclusive
    await insert({
      key: 'k1',
      model: 'gpt-a',
      provider: 'p1',
      at: '2026-11-23T00:00:00Z',
      input: 99,
      output: 99,
      cost: '9',
    });
  });
  afterAll(() => t.drop());

  const days = resolveRange(
    { from: new Date('2026-11-20T00:00:00Z'), to: new Date('2026-11-23T00:00:00Z'), granularity: 'day' },
    new Date(),
  );

  it("sums a key's calls into UTC days, zero-filling the days without calls", async () => {
    const usage = await keyUsage(t.db, 'k1', days);
    expect(usage.totals).toEqual({
      requests: 3,
      inputTokens: 60,
      cachedInputTokens: 3,
      cacheWriteInputTokens: 6,
      outputTokens: 18,
      reasoningTokens: 6,
      spendUsd: 0.10003,
      errors: 1,
    });
    expect(usage.series).toEqual([
      {
        start: '2026-11-20T00:00:00.000Z',
        requests: 2,
        inputTokens: 30,
        outputTokens: 11,
        spendUsd: 0.00003,
        errors: 1,
      },
      { start: '2026-11-21T00:00:00.000Z', requests: 0, inputTokens: 0, outputTokens: 0, spendUsd: 0, errors: 0 },
      { start: '2026-11-22T00:00:00.000Z', requests: 1, inputTokens: 30, outputTokens: 7, spendUsd: 0.1, errors: 0 },
    ]);
  });

  it('cuts hours in UTC and keeps every hour of the range', async () => {
    const hours = resolveRange(
      { from: new Date('2026-11-22T09:30:00Z'), to: new Date('2026-11-22T12:00:00Z'), granularity: 'hour' },
      new Date(),
    );
    const usage = await keyUsage(t.db, 'k1', hours);
    expect(usage.series.map((b) => [b.start, b.requests])).toEqual([
      ['2026-11-22T09:00:00.000Z', 0],
      ['2026-11-22T10:00:00.000Z', 1],
      ['2026-11-22T11:00:00.000Z', 0],
    ]);
  });

  it('answers 404 for a key that does not exist', async () => {
    await expect(keyUsage(t.db, 'nope', days)).rejects.toMatchObject({ code: 'KEY.NOT_FOUND' });
  });

  it('groups by key with names, highest spend first', async () => {
    const usage = await usageOverview(t.db, days, 'key', 100);
    expect(usage.totals.requests).toBe(4);
    expect(usage.groups?.map((g) => [g.id, g.name, g.totals.requests, g.totals.spendUsd])).toEqual([
      ['k1', 'alpha', 3, 0.10003],
      ['k2', 'beta', 1, 0.000000001],
    ]);
    expect(usage.groups?.[1].series.map((b) => b.requests)).toEqual([0, 1, 0]);
  });

  it('groups by provider with the provider name, null for a provider no longer known', async () => {
    const usage = await usageOverview(t.db, days, 'provider', 100);
    expect(usage.groups?.map((g) => [g.id, g.name, g.totals.inputTokens])).toEqual([
      ['p2', null, 30],
      ['p1', 'OpenAI prod', 70],
    ]);
  });

  it('groups by model, and keeps only the top groups when limited', async () => {
    const usage = await usageOverview(t.db, days, 'model', 1);
    expect(usage.groups?.map((g) => [g.id, g.totals.requests])).toEqual([['gpt-b', 1]]);
    expect(usage.totals.requests).toBe(4);
    expect(usage.series.map((b) => b.requests)).toEqual([2, 1, 1]);
  });

  it('groups by agent session: cost per Claude Code session, the calls without one together', async () => {
    const usage = await usageOverview(t.db, days, 'session', 100);
    expect(usage.groups?.map((g) => [g.id, g.name, g.totals.requests, g.totals.spendUsd])).toEqual([
      ['', '', 2, 0.100000001],
      ['sess-1', 'sess-1', 2, 0.00003],
    ]);
  });
});
