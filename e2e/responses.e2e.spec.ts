import OpenAI from 'openai';
import { mockChatCompletion, startMockUpstream, type MockUpstream } from '@sluice/mock-llm';
import { waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(240_000);

const PRICE = { inputUsdPerMTok: 2, outputUsdPerMTok: 8, cachedInputUsdPerMTok: 0.5 };
const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
  strict: true,
};
const expectedText = (prompt: string, model = 'mock-gpt') =>
  mockChatCompletion({ model, messages: [{ role: 'user', content: prompt }] }).choices[0].message.content;

/**
 * The Responses API through virtual keys (real NATS, Postgres, the five services, the openai SDK):
 * `native-*` models go to a provider with the Responses API (the mock, as provider type openai),
 * `bridged-*` ones to a chat-only server (bridged to chat completions by Sluice).
 */
describe('the Responses API, end to end', () => {
  let e2e: E2eSystem;
  let chatOnly: MockUpstream;
  let slow: MockUpstream;
  let owner: { id: string; key: string };
  let other: { id: string; key: string };
  const from = new Date(Date.now() - 3600_000).toISOString();
  const client = (key: string, headers: Record<string, string> = {}) =>
    new OpenAI({
      apiKey: key,
      baseURL: e2e.system.gatewayUrl.replace('localhost', '127.0.0.1'),
      maxRetries: 0,
      defaultHeaders: headers,
    });

  beforeAll(async () => {
    [e2e, chatOnly, slow] = await Promise.all([
      startE2eSystem(),
      startMockUpstream({ chatOnly: true }),
      startMockUpstream({ chunkDelayMs: 40 }),
    ]);
    const native = await e2e.admin('POST', '/providers', {
      name: 'openai-like',
      type: 'openai',
      apiKey: 'sk-upstream-native-0123456789',
      baseUrl: e2e.upstream.url,
    });
    const bridged = await e2e.admin('POST', '/providers', {
      name: 'chat-only',
      type: 'openai-compatible',
      apiKey: 'sk-upstream-chat-0123456789',
      baseUrl: chatOnly.url,
    });
    const slowNative = await e2e.admin('POST', '/providers', {
      name: 'slow-native',
      type: 'openai-compatible',
      supportsResponses: true,
      apiKey: 'sk-upstream-slow-0123456789',
      baseUrl: slow.url,
    });
    const slowBridged = await e2e.admin('POST', '/providers', {
      name: 'slow-bridged',
      type: 'openai-compatible',
      apiKey: 'sk-upstream-slow-0123456789',
      baseUrl: slow.url,
    });
    const claude = await e2e.admin('POST', '/providers', {
      name: 'claude',
      type: 'anthropic',
      apiKey: 'sk-ant-upstream-0123456789',
      baseUrl: e2e.upstream.url,
    });
    const azure = await e2e.admin('POST', '/providers', {
      name: 'azure',
      type: 'azure-openai',
      apiKey: 'azure-upstream-0123456789',
      baseUrl: new URL(e2e.upstream.url).origin,
    });
    expect(azure.body.supportsResponses).toBe(true);
    expect([native.status, bridged.status, slowNative.status, slowBridged.status, claude.status]).toEqual([
      201, 201, 201, 201, 201,
    ]);
    expect(native.body.supportsResponses).toBe(true);
    expect(bridged.body.supportsResponses).toBe(false);
    for (const [name, providerId, upstreamModel] of [
      ['native-gpt', native.body.id, 'mock-gpt'],
      ['native-o3', native.body.id, 'o3-mock'],
      ['native-cut', native.body.id, 'cut-6'],
      ['native-slow', slowNative.body.id, 'mock-gpt'],
      ['bridged-gpt', bridged.body.id, 'mock-gpt'],
      ['bridged-cut', bridged.body.id, 'cut-6'],
      ['bridged-slow', slowBridged.body.id, 'mock-gpt'],
      ['claude-bridged', claude.body.id, 'claude-up'],
      ['azure-gpt', azure.body.id, 'gpt4o-deployment'],
    ]) {
      expect((await e2e.admin('POST', '/models', { name, providerId, upstreamModel, ...PRICE })).status).toBe(201);
    }
    owner = (await e2e.admin('POST', '/keys', { name: 'responses-owner' })).body;
    other = (await e2e.admin('POST', '/keys', { name: 'responses-other' })).body;
  });
  afterAll(async () => {
    await e2e?.stop();
    await Promise.all([chatOnly?.close(), slow?.close()]);
  });

  /** The call's usage record, by the x-request-id its client sent. */
  const recorded = (keyId: string, requestId: string) =>
    waitFor(
      async () => {
        const { body } = await e2e.admin('GET', `/requests?${new URLSearchParams({ from, keyId })}`);
        return body.data.find((r: { clientRequestId: string }) => r.clientRequestId === requestId);
      },
      { timeoutMs: 20_000, description: `the usage record of ${requestId}` },
    );

  describe.each([
    ['native', 'native-gpt'],
    ['bridged', 'bridged-gpt'],
  ])('%s', (route, model) => {
    it('creates a response as JSON and as a stream, the events in order ending in response.completed', async () => {
      const r = await client(owner.key).responses.create({
        model,
        input: 'Hello responses',
        instructions: 'Be terse.',
      });
      expect(r).toMatchObject({
        object: 'response',
        status: 'completed',
        model: route === 'native' ? 'mock-gpt' : model,
      });
      expect(r.output_text).toBe(expectedText('Hello responses'));

      const types: string[] = [];
      const sequence: number[] = [];
      let text = '';
      let completed: OpenAI.Responses.Response | undefined;
      for await (const e of await client(owner.key).responses.create({ model, input: 'Hello stream', stream: true })) {
        types.push(e.type);
        sequence.push(e.sequence_number);
        if (e.type === 'response.output_text.delta') text += e.delta;
        if (e.type === 'response.completed') completed = e.response;
      }
      expect(text).toBe(expectedText('Hello stream'));
      expect(types[0]).toBe('response.created');
      expect(types).toEqual(
        expect.arrayContaining([
          'response.output_item.added',
          'response.content_part.added',
          'response.output_text.done',
          'response.output_item.done',
        ]),
      );
      expect(types.at(-1)).toBe('response.completed');
      expect(sequence).toEqual(sequence.map((_, i) => i));
      expect(completed!.usage!.output_tokens).toBeGreaterThan(0);
      expect(completed!.output[0]).toMatchObject({ type: 'message', content: [{ type: 'output_text', text }] });
    });

    it('runs a function call round trip, and a two-turn conversation with previous_response_id', async () => {
      const c = client(owner.key);
      const first = await c.responses.create({
        model,
        input: 'Weather in "Paris"? Use get_weather.',
        tools: [weather],
      });
      const call = first.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
      expect(call).toMatchObject({ name: 'get_weather', arguments: '{"city":"Paris"}' });
      const second = await c.responses.create({
        model,
        previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Sunny in Paris' }],
        tools: [weather],
      });
      expect(second.output[0]).toMatchObject({ type: 'message' });
      expect(second.previous_response_id).toBe(first.id);
      // The second turn's prompt holds the first: it is billed (and reserved) for it.
      expect(second.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens);

      const third = await c.responses.create({
        model,
        previous_response_id: second.id,
        input: 'And tomorrow?',
        tools: [weather],
      });
      expect(third.output_text).toBe(expectedText('And tomorrow?'));
      expect(third.usage!.input_tokens).toBeGreaterThan(second.usage!.input_tokens);
    });

    it('retrieves, lists the input of, cancels and deletes its own responses', async () => {
      const c = client(owner.key);
      const r = await c.responses.create({
        model,
        input: [
          { role: 'user', content: 'first question' },
          { role: 'user', content: 'second question' },
        ],
      });
      expect((await c.responses.retrieve(r.id)).output).toEqual(r.output);
      const items = await c.responses.inputItems.list(r.id, { order: 'asc' });
      expect(items.data.map((i) => (i as { content: { text: string }[] | string }).content)).toEqual(
        route === 'native'
          ? ['first question', 'second question']
          : [[{ type: 'input_text', text: 'first question' }], [{ type: 'input_text', text: 'second question' }]],
      );
      if (route === 'native') expect((await c.responses.cancel(r.id)).status).toBe('cancelled');
      else expect(await c.responses.cancel(r.id).catch((e) => e.status)).toBe(400);
      const counted = c.responses.inputTokens.count({ model, input: 'count these tokens' });
      if (route === 'native') expect((await counted).input_tokens).toBeGreaterThan(0);
      else expect(await counted.catch((e) => e.status)).toBe(400);
      await c.responses.delete(r.id);
      expect(await c.responses.retrieve(r.id).catch((e) => e.status)).toBe(404);
    });

    it('gives another key exactly the 404 of an unknown id on every endpoint, and sends nothing upstream', async () => {
      const mine = await client(owner.key).responses.create({ model, input: 'private thoughts' });
      const upstream = route === 'native' ? e2e.upstream : chatOnly;
      const before = upstream.invoice.received.length;
      const thief = client(other.key);
      for (const id of [mine.id, 'resp_0123456789abcdef0123456789abcdef0123456789abcdef']) {
        const attempts = [
          thief.responses.retrieve(id),
          thief.responses.inputItems.list(id),
          thief.responses.cancel(id),
          thief.responses.delete(id),
          thief.responses.create({ model, previous_response_id: id, input: 'continue' }),
        ];
        const errors = await Promise.all(
          attempts.map((p) =>
            (p as Promise<unknown>).then(
              () => null,
              (e) => e,
            ),
          ),
        );
        for (const err of errors.slice(0, 4))
          expect(err).toMatchObject({
            status: 404,
            error: {
              message: `Response with id '${id}' not found.`,
              type: 'invalid_request_error',
              param: null,
              code: null,
            },
          });
        expect(errors[4]).toMatchObject({
          status: 404,
          error: {
            message: `Previous response with id '${id}' not found.`,
            param: 'previous_response_id',
            code: 'previous_response_not_found',
          },
        });
      }
      expect(upstream.invoice.received.length).toBe(before);
      // and the owner still has it
      expect((await client(owner.key).responses.retrieve(mine.id)).id).toBe(mine.id);
    });
  });

  it('bills each call as the upstream invoiced it, cached and reasoning tokens included', async () => {
    const c = client(other.key);
    const long = 'word '.repeat(2000);
    const ids = ['resp-bill-json', 'resp-bill-sse'];
    await c.responses.create(
      { model: 'native-o3', input: long, prompt_cache_key: 'k1' },
      { headers: { 'x-request-id': ids[0] } },
    );
    for await (const _e of await c.responses.create(
      { model: 'native-o3', input: long, prompt_cache_key: 'k1', stream: true },
      { headers: { 'x-request-id': ids[1] } },
    ));
    const invoice = ids.map((id) => e2e.upstream.invoice.byRequest.get(id)!);
    const sum = (f: (e: (typeof invoice)[number]) => number) => invoice.reduce((s, e) => s + f(e), 0);
    expect(sum((e) => e.cachedTokens ?? 0)).toBeGreaterThan(0);
    expect(sum((e) => e.reasoningTokens ?? 0)).toBeGreaterThan(0);
    const log = await waitFor(
      async () => {
        const { body } = await e2e.admin('GET', `/requests?${new URLSearchParams({ from, keyId: other.id })}`);
        const rows = body.data.filter((r: { clientRequestId: string }) => ids.includes(r.clientRequestId));
        return rows.length === 2 ? rows : null;
      },
      { timeoutMs: 20_000, description: 'both calls recorded' },
    );
    const rows = ids.map((id) => log.find((r: { clientRequestId: string }) => r.clientRequestId === id));
    rows.forEach((row, i) => {
      expect(row).toMatchObject({
        operation: 'responses',
        inputTokens: invoice[i].promptTokens,
        cachedInputTokens: invoice[i].cachedTokens,
        outputTokens: invoice[i].completionTokens,
        reasoningTokens: invoice[i].reasoningTokens,
        estimated: false,
      });
      const e = invoice[i];
      const cost =
        ((e.promptTokens - e.cachedTokens!) * PRICE.inputUsdPerMTok +
          e.cachedTokens! * PRICE.cachedInputUsdPerMTok +
          e.completionTokens * PRICE.outputUsdPerMTok) /
        1e6;
      expect(Number(row.costUsd)).toBeCloseTo(cost, 9);
    });
  });

  it.each([
    ['native', 'native-slow', 'native-cut'],
    ['bridged', 'bridged-slow', 'bridged-cut'],
  ])(
    'bills a stream its client abandons, and one its upstream cuts, at least what the upstream invoiced (%s)',
    async (_route, slowModel, cutModel) => {
      const c = client(other.key);
      const abandoned = `abandon-${slowModel}`;
      const stream = await c.responses.create(
        { model: slowModel, input: 'Reply with 60 words', stream: true },
        { headers: { 'x-request-id': abandoned } },
      );
      for await (const e of stream) if (e.type === 'response.output_text.delta') break;
      const cut = `cut-${cutModel}`;
      const events: string[] = [];
      for await (const e of await c.responses.create(
        { model: cutModel, input: 'Hello cut', stream: true },
        { headers: { 'x-request-id': cut } },
      ))
        events.push(e.type);
      // The client is told the stream failed: Codex and the SDKs stop on it instead of waiting.
      expect(['error', 'response.failed']).toContain(events.at(-1));

      for (const [upstream, id] of [
        [slow, abandoned],
        [cutModel === 'native-cut' ? e2e.upstream : chatOnly, cut],
      ] as const) {
        const billed = await waitFor(() => upstream.invoice.byRequest.get(id), {
          timeoutMs: 20_000,
          description: `the upstream's bill for ${id}`,
        });
        const row = await recorded(other.id, id);
        expect(row.inputTokens).toBeGreaterThanOrEqual(billed.promptTokens);
        expect(row.outputTokens).toBeGreaterThanOrEqual(billed.completionTokens);
        expect(billed.completionTokens).toBeGreaterThan(0);
      }
    },
  );

  it('refuses a key without the responses operation, keeps a regenerated key on its responses, and shuts out a revoked one', async () => {
    const chatOnlyKey = (await e2e.admin('POST', '/keys', { name: 'chat-only-key', operations: ['chat'] })).body;
    const refused = await client(chatOnlyKey.key)
      .responses.create({ model: 'native-gpt', input: 'hi' })
      .catch((e) => e);
    expect(refused).toMatchObject({ status: 403, code: 'operation_not_allowed' });

    const k = (await e2e.admin('POST', '/keys', { name: 'rotating' })).body;
    const bridged = await client(k.key).responses.create({ model: 'bridged-gpt', input: 'remember me' });
    const native = await client(k.key).responses.create({ model: 'native-gpt', input: 'remember me too' });
    const regenerated = await e2e.admin('POST', `/keys/${k.id}/regenerate`);
    expect(regenerated.status).toBe(200);
    const renewed = client(regenerated.body.key);
    expect((await renewed.responses.retrieve(bridged.id)).id).toBe(bridged.id);
    expect((await renewed.responses.retrieve(native.id)).id).toBe(native.id);
    const next = await renewed.responses.create({
      model: 'bridged-gpt',
      previous_response_id: bridged.id,
      input: 'still there?',
    });
    expect(next.previous_response_id).toBe(bridged.id);

    expect((await e2e.admin('DELETE', `/keys/${k.id}`)).status).toBe(200);
    for (const id of [bridged.id, native.id])
      expect(await renewed.responses.retrieve(id).catch((e) => e.status)).toBe(401);
    expect(
      await renewed.responses
        .create({ model: 'bridged-gpt', previous_response_id: bridged.id, input: 'hello?' })
        .catch((e) => e.status),
    ).toBe(401);
  });

  it('bridges to Anthropic Messages too: JSON, a stream, a forced function call and its continuation', async () => {
    const c = client(owner.key);
    const r = await c.responses.create({ model: 'claude-bridged', input: 'Hello Claude' });
    expect(r.output_text).toBe(expectedText('Hello Claude'));
    let streamed = '';
    for await (const e of await c.responses.create({ model: 'claude-bridged', input: 'Hello Claude', stream: true }))
      if (e.type === 'response.output_text.delta') streamed += e.delta;
    expect(streamed).toBe(r.output_text);
    const called = await c.responses.create({
      model: 'claude-bridged',
      input: 'Weather in Paris?',
      tools: [weather],
      tool_choice: { type: 'function', name: 'get_weather' },
    });
    const call = called.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather' });
    const answered = await c.responses.create({
      model: 'claude-bridged',
      previous_response_id: called.id,
      tools: [weather],
      input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Sunny' }],
    });
    expect(answered.output[0]).toMatchObject({ type: 'message' });
    expect(e2e.upstream.invoice.received.filter((q) => q.path === '/v1/messages').length).toBeGreaterThanOrEqual(4);
  });

  it('sends an Azure model to the resource’s v1 Responses API with its api-key, the deployment as the model', async () => {
    const r = await client(owner.key).responses.create(
      { model: 'azure-gpt', input: 'Hello Azure' },
      { headers: { 'x-request-id': 'resp-azure' } },
    );
    expect(r.output_text).toBe(expectedText('Hello Azure', 'gpt4o-deployment'));
    const billed = e2e.upstream.invoice.byRequest.get('resp-azure')!;
    expect(billed).toMatchObject({ model: 'gpt4o-deployment', authorization: undefined });
    expect(billed.headers['api-key']).toBe('azure-upstream-0123456789');
    expect(e2e.upstream.invoice.received.find((q) => q.requestId === 'resp-azure')?.path).toBe('/openai/v1/responses');
    expect((await client(owner.key).responses.retrieve(r.id)).id).toBe(r.id);
  });

  it('applies limits, budgets and their headers as on chat', async () => {
    const limited = (
      await e2e.admin('POST', '/keys', {
        name: 'limited',
        rateLimits: { requestsPerMinute: 100 },
        budget: { maxUsd: 1 },
      })
    ).body;
    const { response } = await client(limited.key)
      .responses.create({ model: 'bridged-gpt', input: 'Hello limits' })
      .withResponse();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('100');
    expect(Number(response.headers.get('x-sluice-cost-usd'))).toBeGreaterThan(0);
    expect(Number(response.headers.get('x-sluice-budget-remaining-usd'))).toBeLessThan(1);
    // A call whose worst case does not fit the budget is refused before anything is sent upstream.
    const before = e2e.upstream.invoice.received.length;
    const refused = await fetch(`${e2e.system.gatewayUrl.replace('localhost', '127.0.0.1')}/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${limited.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'native-gpt', input: 'x'.repeat(600_000) }),
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-should-retry')).toBe('false');
    expect(((await refused.json()) as { error: unknown }).error).toMatchObject({
      code: 'insufficient_quota',
      type: 'insufficient_quota',
    });
    expect(e2e.upstream.invoice.received.length).toBe(before);
  });
});
