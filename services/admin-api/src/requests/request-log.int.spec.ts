import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { RequestLogQuery } from '@sluice/contracts';
import { requestLog } from './request-log';

describe('the request log (real Postgres)', () => {
  let t: TestDatabase;
  const log = (q: Record<string, string>) => requestLog(t.db, RequestLogQuery.parse(q));

  beforeAll(async () => {
    t = await createTestDatabase();
    // r3 and r4 share a start time: the request id breaks the tie, so paging neither skips nor repeats.
    const rows = [
      ['r1', 'k1', 'gpt-a', 200, '2026-11-20T10:00:00.000Z'],
      ['r2', 'k1', 'gpt-b', 429, '2026-11-20T11:00:00.000Z'],
      ['r3', 'k2', 'gpt-a', 200, '2026-11-20T12:00:00.000Z'],
      ['r4', 'k1', 'gpt-a', 502, '2026-11-20T12:00:00.000Z'],
      ['r5', 'k1', 'gpt-a', 200, '2026-11-20T13:00:00.000Z'],
    ] as const;
    for (const [id, key, model, status, at] of rows) {
      await t.db
        .insertInto('usage_records')
        .values({
          request_id: id,
          key_id: key,
          model,
          upstream_model: `${model}-2026`,
          provider_id: 'p1',
          operation: 'chat',
          stream: true,
          status,
          input_tokens: 11,
          cached_input_tokens: 2,
          output_tokens: 7,
          reasoning_tokens: 3,
          cost_usd: '0.0000123000',
          estimated: false,
          latency_ms: 40.5,
          ttfb_ms: 12.25,
          client_ip: '10.0.0.1',
          started_at: at,
          client_request_id: id === 'r5' ? 'r5' : null,
          caller_user: id === 'r5' ? 'alice' : null,
          caller_metadata: id === 'r5' ? JSON.stringify({ team: 'search' }) : null,
          ...(id === 'r5'
            ? { cleaned_fields: ['user'], trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', cache_write_input_tokens: 4 }
            : {}),
          session_id: id === 'r5' || id === 'r4' ? 'sess-a' : null,
        })
        .execute();
    }
  });
  afterAll(() => t.drop());

  it('pages newest first with a cursor, ties broken by request id', async () => {
    const first = await log({ limit: '2' });
    expect(first.data.map((r) => r.requestId)).toEqual(['r5', 'r4']);
    const second = await log({ limit: '2', cursor: first.nextCursor ?? '' });
    expect(second.data.map((r) => r.requestId)).toEqual(['r3', 'r2']);
    const third = await log({ limit: '2', cursor: second.nextCursor ?? '' });
    expect(third.data.map((r) => r.requestId)).toEqual(['r1']);
    expect(third.nextCursor).toBeNull();
  });

  it('returns each record as camelCase JSON with the caller fields', async () => {
    const { data } = await log({ limit: '1' });
    expect(data[0]).toEqual({
      requestId: 'r5',
      clientRequestId: 'r5',
      keyId: 'k1',
      model: 'gpt-a',
      upstreamModel: 'gpt-a-2026',
      providerId: 'p1',
      operation: 'chat',
      stream: true,
      status: 200,
      inputTokens: 11,
      cachedInputTokens: 2,
      cacheWriteInputTokens: 4,
      outputTokens: 7,
      reasoningTokens: 3,
      costUsd: 0.0000123,
      estimated: false,
      swept: false,
      sweptCostUsd: null,
      latencyMs: 40.5,
      ttfbMs: 12.25,
      clientIp: '10.0.0.1',
      user: 'alice',
      metadata: { team: 'search' },
      sessionId: 'sess-a',
      cleanedFields: ['user'],
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      startedAt: '2026-11-20T13:00:00.000Z',
      recordedAt: expect.any(String),
    });
  });

  it('flags no cleaned fields on a call stored as sent', async () => {
    const { data } = await log({ keyId: 'k2' });
    expect(data[0].cleanedFields).toEqual([]);
    expect(data[0].traceId).toBeNull();
  });

  it('shows a swept call whose real report came later as the report, with what the sweep had charged', async () => {
    await t.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('usage_records')
        .values({
          request_id: 'swept-1',
          key_id: 'k9',
          model: 'gpt-a',
          upstream_model: 'gpt-a-2026',
          provider_id: 'p1',
          operation: 'chat',
          stream: false,
          status: 0,
          input_tokens: 100,
          cached_input_tokens: 0,
          output_tokens: 4096,
          reasoning_tokens: 0,
          cost_usd: '0.008292000',
          estimated: true,
          latency_ms: 2_100_000,
          ttfb_ms: null,
          client_ip: '10.0.0.1',
          started_at: '2026-11-19T10:00:00.000Z',
          client_request_id: null,
          caller_user: null,
          caller_metadata: null,
          swept: true,
        })
        .execute();
      await trx
        .insertInto('usage_corrections')
        .values({
          request_id: 'swept-1',
          key_id: 'k9',
          stream: true,
          status: 200,
          input_tokens: 90,
          cached_input_tokens: 0,
          output_tokens: 31,
          reasoning_tokens: 0,
          cost_usd: '0.000152000',
          estimated: false,
          latency_ms: 2_200_000,
          ttfb_ms: 80,
          started_at: '2026-11-19T10:00:00.002Z',
          client_request_id: 'mine',
          caller_user: 'bob',
          caller_metadata: null,
          cache_write_input_tokens: 12,
          session_id: 'sess-late',
        })
        .execute();
    });
    const { data } = await log({ keyId: 'k9' });
    expect(data).toEqual([
      expect.objectContaining({
        requestId: 'swept-1',
        clientRequestId: 'mine',
        status: 200,
        stream: true,
        inputTokens: 90,
        outputTokens: 31,
        costUsd: 0.000152,
        estimated: false,
        swept: true,
        sweptCostUsd: 0.008292,
        user: 'bob',
        cacheWriteInputTokens: 12,
        sessionId: 'sess-late',
      }),
    ]);
  });

  it('filters by key, model, agent session, status and time range', async () => {
    const ids = async (q: Record<string, string>) => (await log(q)).data.map((r) => r.requestId);
    expect(await ids({ keyId: 'k2' })).toEqual(['r3']);
    expect(await ids({ model: 'gpt-b' })).toEqual(['r2']);
    expect(await ids({ status: 'error' })).toEqual(['r4', 'r2']);
    expect(await ids({ status: 'ok', keyId: 'k1' })).toEqual(['r5', 'r1']);
    expect(await ids({ status: '502' })).toEqual(['r4']);
    expect(await ids({ sessionId: 'sess-a' })).toEqual(['r5', 'r4']);
    expect(await ids({ from: '2026-11-20T11:00:00Z', to: '2026-11-20T13:00:00Z' })).toEqual(['r4', 'r3', 'r2']);
  });

  it('refuses a cursor it did not issue', async () => {
    await expect(log({ cursor: 'garbage' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
