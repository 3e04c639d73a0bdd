import OpenAI from 'openai';
import { startMockUpstream } from '@sluice/mock-llm';
import { waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(180_000);

const PRICE = { input: 2, output: 8 };
const usdOf = (input: number, output: number) => (input * PRICE.input + output * PRICE.output) / 1e6;

describe('usage queries, end to end (real NATS, Postgres, five service processes, openai SDK)', () => {
  let e2e: E2eSystem;
  let providerId: string;
  const keys: { id: string; key: string }[] = [];
  /** x-sluice-cost-usd of each non-streamed call, by its x-request-id. */
  const costHeaders = new Map<string, string | null>();
  const from = new Date(Date.now() - 3600_000).toISOString();

  const client = (key: string, headers: Record<string, string> = {}) =>
    new OpenAI({
      apiKey: key,
      baseURL: e2e.system.gatewayUrl.replace('localhost', '127.0.0.1'),
      maxRetries: 0,
      defaultHeaders: headers,
    });
  const invoiceFor = (ids: string[]) => {
    const entries = ids.map((id) => e2e.upstream.invoice.byRequest.get(id));
    expect(entries.every(Boolean)).toBe(true);
    return {
      input: entries.reduce((s, e) => s + (e?.promptTokens ?? 0), 0),
      output: entries.reduce((s, e) => s + (e?.completionTokens ?? 0), 0),
    };
  };
  const query = (params: Record<string, string>) => new URLSearchParams(params).toString();

  beforeAll(async () => {
    e2e = await startE2eSystem();
    const provider = await e2e.admin('POST', '/providers', {
      name: 'usage-upstream',
      type: 'openai-compatible',
      apiKey: 'sk-upstream-usage-0123456789',
      baseUrl: e2e.upstream.url,
    });
    providerId = provider.body.id;
    expect(
      (
        await e2e.admin('POST', '/models', {
          name: 'gpt-usage',
          providerId,
          upstreamModel: 'upstream-gpt',
          inputUsdPerMTok: PRICE.input,
          outputUsdPerMTok: PRICE.output,
        })
      ).status,
    ).toBe(201);
    for (const name of ['usage-app-1', 'usage-app-2']) {
      const created = await e2e.admin('POST', '/keys', { name });
      keys.push({ id: created.body.id, key: created.body.key });
    }

    const meta = JSON.stringify({ team: 'search', api_key: 'never-stored' });
    // Key 1: two non-streamed and one streamed call, tagged; key 2: one streamed call.
    for (const [i, stream] of [false, false, true].entries()) {
      const c = client(keys[0].key, { 'x-request-id': `usage-e2e-1-${i}`, 'x-portkey-metadata': meta });
      const messages = [{ role: 'user' as const, content: `Hello number ${i}` }];
      if (stream) {
        const s = await c.chat.completions.create({ model: 'gpt-usage', messages, stream: true, user: 'alice' });
        for await (const _chunk of s);
      } else {
        const { response } = await c.chat.completions
          .create({ model: 'gpt-usage', messages, user: 'alice' })
          .withResponse();
        costHeaders.set(`usage-e2e-1-${i}`, response.headers.get('x-sluice-cost-usd'));
      }
    }
    const s = await client(keys[1].key, { 'x-request-id': 'usage-e2e-2-0' }).chat.completions.create({
      model: 'gpt-usage',
      messages: [{ role: 'user', content: 'Stream it' }],
      stream: true,
    });
    for await (const _chunk of s);

    await waitFor(async () => (await e2e.admin('GET', `/requests?${query({ from })}`)).body.data.length >= 4, {
      timeoutMs: 5000,
      intervalMs: 25,
    });
  });
  afterAll(() => e2e?.stop());

  it("reports a key's usage equal to the upstream's invoice, in hourly buckets", async () => {
    const billed = invoiceFor(['usage-e2e-1-0', 'usage-e2e-1-1', 'usage-e2e-1-2']);
    const { status, body } = await e2e.admin(
      'GET',
      `/keys/${keys[0].id}/usage?${query({ from, granularity: 'hour' })}`,
    );
    expect(status).toBe(200);
    expect(body.totals).toEqual({
      requests: 3,
      inputTokens: billed.input,
      cachedInputTokens: 0,
      cacheWriteInputTokens: 0,
      outputTokens: billed.output,
      reasoningTokens: 0,
      spendUsd: expect.any(Number),
      errors: 0,
    });
    expect(body.totals.spendUsd).toBeCloseTo(usdOf(billed.input, billed.output), 9);
    const hour = 3600_000;
    const firstStart = Math.floor(Date.parse(body.from) / hour) * hour;
    const starts = Array.from({ length: Math.ceil((Date.parse(body.to) - firstStart) / hour) }, (_, i) =>
      new Date(firstStart + i * hour).toISOString(),
    );
    expect(body.series.map((b: { start: string }) => b.start)).toEqual(starts);
    expect(body.series.reduce((s: number, b: { requests: number }) => s + b.requests, 0)).toBe(3);
  });

  it('groups usage by key, with names, and the cards add up to the whole invoice', async () => {
    const { status, body } = await e2e.admin('GET', `/usage?${query({ from, groupBy: 'key' })}`);
    expect(status).toBe(200);
    expect(body.totals.requests).toBe(e2e.upstream.invoice.calls);
    expect(body.totals.inputTokens).toBe(e2e.upstream.invoice.promptTokens);
    expect(body.totals.outputTokens).toBe(e2e.upstream.invoice.completionTokens);
    const second = invoiceFor(['usage-e2e-2-0']);
    const group = body.groups.find((g: { id: string }) => g.id === keys[1].id);
    expect(group).toMatchObject({
      name: 'usage-app-2',
      totals: { requests: 1, inputTokens: second.input, outputTokens: second.output },
    });
    const byProvider = await e2e.admin('GET', `/usage?${query({ from, groupBy: 'provider' })}`);
    expect(byProvider.body.groups).toEqual([
      expect.objectContaining({
        id: providerId,
        name: 'usage-upstream',
        totals: expect.objectContaining({ requests: 4 }),
      }),
    ]);
  });

  it('lists the calls in the request log with the caller id, user and metadata, never the secret-looking entry', async () => {
    const { status, body } = await e2e.admin('GET', `/requests?${query({ keyId: keys[0].id, limit: '2' })}`);
    expect(status).toBe(200);
    expect(body.data.map((r: { clientRequestId: string }) => r.clientRequestId)).toEqual([
      'usage-e2e-1-2',
      'usage-e2e-1-1',
    ]);
    const streamed = invoiceFor(['usage-e2e-1-2']);
    expect(body.data[0]).toMatchObject({
      clientRequestId: 'usage-e2e-1-2',
      user: 'alice',
      metadata: { team: 'search' },
      stream: true,
      status: 200,
      inputTokens: streamed.input,
      outputTokens: streamed.output,
      ttfbMs: expect.any(Number),
    });
    const rest = await e2e.admin(
      'GET',
      `/requests?${query({ keyId: keys[0].id, limit: '2', cursor: body.nextCursor })}`,
    );
    expect(rest.body).toMatchObject({
      data: [expect.objectContaining({ clientRequestId: 'usage-e2e-1-0' })],
      nextCursor: null,
    });
  });

  it('tells the caller the same cost, in x-sluice-cost-usd, that the request log records', async () => {
    const { body } = await e2e.admin('GET', `/requests?${query({ keyId: keys[0].id })}`);
    for (const id of ['usage-e2e-1-0', 'usage-e2e-1-1']) {
      const record = body.data.find((r: { clientRequestId: string }) => r.clientRequestId === id);
      const billed = invoiceFor([id]);
      expect(record.costUsd).toBeCloseTo(usdOf(billed.input, billed.output), 9);
      expect(costHeaders.get(id)).toMatch(/^\d+\.\d+$/);
      expect(Number(costHeaders.get(id))).toBe(record.costUsd);
    }
  });

  it('answers invalid queries in the admin error shape', async () => {
    const backwards = await e2e.admin(
      'GET',
      `/keys/${keys[0].id}/usage?${query({ from: '2026-11-24T00:00:00Z', to: '2026-11-23T00:00:00Z' })}`,
    );
    expect(backwards).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', param: 'from' } } });
    const badGroup = await e2e.admin('GET', `/usage?groupBy=colour`);
    expect(badGroup).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', param: 'groupBy' } } });
    expect((await e2e.admin('GET', '/keys/nope/usage')).status).toBe(404);
  });

  // Last: it adds calls through a second upstream, which the totals above do not expect.
  it('bills streams whose upstream reports no usage by estimate, flagged, never below what the upstream invoiced — even when the client aborts', async () => {
    const silent = await startMockUpstream({ omitUsage: true, chunkDelayMs: 15 });
    try {
      const provider = await e2e.admin('POST', '/providers', {
        name: 'silent-upstream',
        type: 'openai-compatible',
        apiKey: 'sk-upstream-silent-0123456789',
        baseUrl: silent.url,
      });
      expect(
        (
          await e2e.admin('POST', '/models', {
            name: 'gpt-silent',
            providerId: provider.body.id,
            upstreamModel: 'silent-gpt',
            inputUsdPerMTok: PRICE.input,
            outputUsdPerMTok: PRICE.output,
          })
        ).status,
      ).toBe(201);
      const ids = ['silent-stream-1', 'silent-stream-2', 'silent-abort', 'silent-json'];
      for (const id of ids) {
        const c = client(keys[1].key, { 'x-request-id': id });
        const messages = [{ role: 'user' as const, content: `Reply with 40 words, call ${id}` }];
        if (id === 'silent-json') {
          await c.chat.completions.create({ model: 'gpt-silent', messages });
          continue;
        }
        const s = await c.chat.completions.create({ model: 'gpt-silent', messages, stream: true });
        let chunks = 0;
        for await (const _chunk of s) if (id === 'silent-abort' && ++chunks === 3) break; // the client leaves early
      }
      const records = await waitFor(
        async () => {
          const rows = await e2e.database.db
            .selectFrom('usage_records')
            .selectAll()
            .where('client_request_id', 'in', ids)
            .execute();
          return rows.length === ids.length && ids.every((id) => silent.invoice.byRequest.get(id)?.completed === true)
            ? rows
            : null;
        },
        { timeoutMs: 15_000, intervalMs: 100, description: 'the four silent calls recorded' },
      );
      expect(silent.invoice.calls).toBe(ids.length);
      for (const record of records) {
        const billed = silent.invoice.byRequest.get(record.client_request_id!)!;
        expect(record.estimated).toBe(true);
        expect(record.input_tokens).toBeGreaterThanOrEqual(billed.promptTokens);
        expect(record.output_tokens).toBeGreaterThanOrEqual(billed.completionTokens);
        expect(billed.completionTokens).toBeGreaterThan(0);
        expect(Number(record.cost_usd)).toBeGreaterThanOrEqual(
          usdOf(billed.promptTokens, billed.completionTokens) - 1e-12,
        );
      }
    } finally {
      await silent.close();
    }
  });
});
