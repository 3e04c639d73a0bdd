import { startMockUpstream, type InvoiceEntry, type MockUpstream } from '@sluice/mock-llm';
import { waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(300_000);

interface CallResult {
  status: number;
  body: any;
}

/** Ten tool definitions of about 8,200 characters each: 20,000 tokens as the upstream bills them. */
const TOOLS = Array.from({ length: 10 }, (_, i) => ({
  type: 'function',
  function: {
    name: `lookup_${i}`,
    description: `Looks up record ${i}. `.repeat(500).slice(0, 8100),
    parameters: {
      type: 'object',
      properties: { id: { type: 'string', description: 'the record id' } },
      required: ['id'],
    },
  },
}));

/**
 * Issue #9, "the worst case is the worst case", against the real system (two gateways, policy,
 * metering, NATS, Postgres): a budget and a token limit hold however large the hidden parts of a
 * call are, and a call whose upstream reports no usage is never billed below the invoice.
 */
describe('the worst case is a true bound (real NATS, Postgres, supervised processes)', () => {
  let e2e: E2eSystem;
  let tokenUpstream: MockUpstream;
  let gateways: string[];

  const call = async (
    gateway: string,
    key: string,
    body: Record<string, unknown>,
    requestId?: string,
  ): Promise<CallResult> => {
    const res = await fetch(`${gateway}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        ...(requestId ? { 'x-request-id': requestId } : {}),
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: body.stream && res.status === 200 ? text : text ? JSON.parse(text) : null };
  };
  const createKey = async (body: Record<string, unknown>): Promise<string> => {
    const created = await e2e.admin('POST', '/keys', body);
    expect(created.status).toBe(201);
    return created.body.key;
  };
  const addModel = async (body: Record<string, unknown>) =>
    expect((await e2e.admin('POST', '/models', body)).status).toBe(201);
  const entriesOf = (upstream: MockUpstream, upstreamModel: string): InvoiceEntry[] =>
    [...upstream.invoice.byRequest.values()].filter((e) => e.model === upstreamModel);
  const recorded = async (clientRequestId: string) =>
    e2e.database.db
      .selectFrom('usage_records')
      .select(['input_tokens', 'output_tokens', 'estimated'])
      .where('client_request_id', '=', clientRequestId)
      .executeTakeFirst();

  let providerId: string;
  let tokenProviderId: string;

  beforeAll(async () => {
    e2e = await startE2eSystem();
    const second = await e2e.startGateway();
    gateways = [e2e.system.gatewayUrl.replace('localhost', '127.0.0.1'), second.url];
    tokenUpstream = await startMockUpstream({ oneTokenPerChunk: true, chunkDelayMs: 2 });
    const provider = await e2e.admin('POST', '/providers', {
      name: 'wc-upstream',
      type: 'openai-compatible',
      apiKey: 'sk-upstream-wc-0123456789',
      baseUrl: e2e.upstream.url,
    });
    providerId = provider.body.id;
    const tokens = await e2e.admin('POST', '/providers', {
      name: 'wc-tokens',
      type: 'openai-compatible',
      apiKey: 'sk-upstream-tok-0123456789',
      baseUrl: tokenUpstream.url,
    });
    tokenProviderId = tokens.body.id;
  });
  afterAll(async () => {
    await tokenUpstream?.close();
    await e2e?.stop();
  });

  it('keeps the upstream’s invoice within a $1.00 budget under 50 concurrent calls of n: 8 with 20,000 tokens of tools, across two gateways', async () => {
    // $1.50 per million input tokens: each call really costs about $0.03, so 50 cost about $1.50.
    await addModel({
      name: 'wc-tools',
      providerId,
      upstreamModel: 'wc-tools',
      inputUsdPerMTok: 1.5,
      outputUsdPerMTok: 2,
      maxOutputTokens: 200,
    });
    const key = await createKey({ name: 'wc-budget', budget: { maxUsd: 1 } });
    const body = {
      model: 'wc-tools',
      n: 8,
      tools: TOOLS,
      messages: [{ role: 'user', content: 'Which record is the oldest?' }],
    };

    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => call(gateways[i % 2], key, body)));
    expect(
      results.filter((r) => r.status !== 200 && r.status !== 429).map((r) => `${r.status} ${JSON.stringify(r.body)}`),
    ).toEqual([]);
    const served = results.filter((r) => r.status === 200);
    expect(served.length).toBeGreaterThan(0);
    expect(served[0].body.choices).toHaveLength(8);
    expect(results.find((r) => r.status === 429)?.body.error).toMatchObject({ code: 'insufficient_quota' });

    const invoiced = entriesOf(e2e.upstream, 'wc-tools');
    expect(invoiced).toHaveLength(served.length);
    expect(invoiced[0].promptTokens).toBeGreaterThanOrEqual(20_000);
    // Every call was sent the cap it was reserved for: 200 tokens a choice at most.
    expect(invoiced.every((e) => e.completionTokens <= 8 * 200)).toBe(true);
    const invoiceUsd = invoiced.reduce((sum, e) => sum + (e.promptTokens * 1.5 + e.completionTokens * 2) / 1e6, 0);
    expect(invoiceUsd).toBeLessThanOrEqual(1.0);
  });

  it('refuses, as OpenAI does and before anything is sent upstream, a max_tokens above the model’s cap and an n above 128', async () => {
    await addModel({
      name: 'wc-capped',
      providerId,
      upstreamModel: 'wc-capped',
      inputUsdPerMTok: 1,
      outputUsdPerMTok: 2,
      maxOutputTokens: 100,
    });
    const key = await createKey({ name: 'wc-capped', budget: { maxUsd: 1 } });
    const calls = e2e.upstream.invoice.calls;
    const tooLarge = await call(gateways[0], key, {
      model: 'wc-capped',
      max_tokens: 500,
      n: 8,
      tools: TOOLS,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(tooLarge).toEqual({
      status: 400,
      body: {
        error: {
          message:
            'max_tokens is too large: 500. This model supports at most 100 completion tokens, whereas you provided 500.',
          type: 'invalid_request_error',
          param: 'max_tokens',
          code: 'invalid_value',
        },
      },
    });
    const tooMany = await call(gateways[1], key, {
      model: 'wc-capped',
      n: 129,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatchObject({
      param: 'n',
      code: 'integer_above_max_value',
      message: "Invalid 'n': integer above maximum value. Expected a value <= 128, but got 129 instead.",
    });
    expect(e2e.upstream.invoice.calls).toBe(calls);
  });

  it('keeps the tokens invoiced in a minute within tokensPerMinute plus one call’s worst case when 20 concurrent calls send no max_tokens', async () => {
    // No catalog cap: each call is reserved (and capped upstream at) Sluice's default 4,096 output tokens.
    await addModel({ name: 'wc-tpm', providerId, upstreamModel: 'wc-tpm', inputUsdPerMTok: 1, outputUsdPerMTok: 2 });
    const key = await createKey({ name: 'wc-tpm', rateLimits: { tokensPerMinute: 10_000 } });
    const body = { model: 'wc-tpm', messages: [{ role: 'user', content: 'Reply with 4000 words about sluices' }] };
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => call(gateways[i % 2], key, body)));
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(results.filter((r) => r.status !== 200 && r.status !== 429)).toEqual([]);
    expect(results.find((r) => r.status === 429)?.body.error).toMatchObject({
      code: 'rate_limit_exceeded',
      rule: 'tokensPerMinute',
    });

    const invoiced = entriesOf(e2e.upstream, 'wc-tpm');
    const tokens = invoiced.reduce((sum, e) => sum + e.promptTokens + e.completionTokens, 0);
    // One call's worst case: its prompt estimate (the mock bills exactly that) and the 4,096-token cap.
    const oneWorstCase = invoiced[0].promptTokens + 4096;
    expect(invoiced.length).toBeGreaterThan(0);
    expect(tokens).toBeLessThanOrEqual(10_000 + oneWorstCase);
  });

  describe('an upstream that reports no usage and streams one token per chunk', () => {
    const numbers = [{ role: 'user', content: 'Reply with 300 numbers' }];

    /** Reads a few chunks of a stream, then hangs up. */
    const abortAfterChunks = async (gateway: string, key: string, body: Record<string, unknown>, requestId: string) => {
      const controller = new AbortController();
      const res = await fetch(`${gateway}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': requestId },
        body: JSON.stringify({ ...body, stream: true }),
        signal: controller.signal,
      });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      for (let i = 0; i < 5; i++) await reader.read();
      controller.abort();
    };

    it.each([
      ['a model whose tokenizer Sluice knows', 'wc-tok-known', 'gpt-4o'],
      ['a model whose tokenizer Sluice does not know', 'wc-tok-unknown', 'wc-local-model'],
    ])('bills %s at or above the invoice: JSON, streamed and aborted calls', async (_what, model, upstreamModel) => {
      await addModel({
        name: model,
        providerId: tokenProviderId,
        upstreamModel,
        inputUsdPerMTok: 1,
        outputUsdPerMTok: 2,
      });
      const key = await createKey({ name: model });
      const ids = { json: `${model}-json`, stream: `${model}-stream`, aborted: `${model}-aborted` };
      expect((await call(gateways[0], key, { model, messages: numbers }, ids.json)).status).toBe(200);
      expect(
        (
          await call(
            gateways[1],
            key,
            { model, messages: numbers, stream: true, stream_options: { include_usage: true } },
            ids.stream,
          )
        ).status,
      ).toBe(200);
      await abortAfterChunks(gateways[0], key, { model, messages: numbers }, ids.aborted);

      for (const id of Object.values(ids)) {
        const row = await waitFor(() => recorded(id), { timeoutMs: 20_000, intervalMs: 100 });
        const invoice = tokenUpstream.invoice.byRequest.get(id)!;
        expect(invoice.completionTokens).toBeGreaterThan(300);
        expect({
          id,
          estimated: row.estimated,
          output: Number(row.output_tokens) >= invoice.completionTokens,
          input: Number(row.input_tokens) >= invoice.promptTokens,
        }).toEqual({ id, estimated: true, output: true, input: true });
      }
    });
  });
});
