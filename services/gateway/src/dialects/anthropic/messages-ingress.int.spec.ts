import Anthropic from '@anthropic-ai/sdk';
import { startMockUpstream, type MockUpstream } from '@sluice/mock-llm';
import { PRICE, priced, startHarness, type Harness } from '../../../test/harness';

jest.setTimeout(60_000);

const ANTHROPIC_SECRET = 'sk-ant-api03-mock-0123456789abcdef0123456789';
const tools = [
  {
    name: 'lookup',
    description: 'Look a word up',
    input_schema: { type: 'object' as const, properties: { query: { type: 'string' } } },
  },
];

/** Every SSE event of a raw response, as [name, data text] in order. */
const eventsOf = (sse: string): [string, string][] =>
  [...sse.matchAll(/^event: (\w+)\r?\ndata: (.*)$/gm)].map((m) => [m[1], m[2]]);

describe('the Messages ingress (real NATS, mock Anthropic and OpenAI upstreams, the Anthropic SDK)', () => {
  let h: Harness;
  let anthropic: MockUpstream;
  let slow: MockUpstream;
  let client: Anthropic;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${h.gateway.url.replace(/\/v1$/, '')}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': h.key,
        'anthropic-version': '2023-06-01',
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    [h, anthropic, slow] = await Promise.all([
      startHarness(),
      startMockUpstream({ anthropicApiKey: ANTHROPIC_SECRET }),
      startMockUpstream({ anthropicApiKey: ANTHROPIC_SECRET, chunkDelayMs: 15 }),
    ]);
    h.credentials.push({
      providerId: 'prov-claude',
      type: 'anthropic',
      baseUrl: anthropic.url,
      apiKey: ANTHROPIC_SECRET,
      secretVersion: 1,
    });
    h.credentials.push({
      providerId: 'prov-claude-slow',
      type: 'anthropic',
      baseUrl: slow.url,
      apiKey: ANTHROPIC_SECRET,
      secretVersion: 1,
    });
    h.routes.set('claude-slow', {
      providerId: 'prov-claude-slow',
      providerType: 'anthropic',
      baseUrl: slow.url,
      upstreamModel: 'claude-up',
      price: PRICE,
      outputCap: 1024,
    });
    const route = (upstreamModel: string) => ({
      providerId: 'prov-claude',
      providerType: 'anthropic' as const,
      baseUrl: anthropic.url,
      upstreamModel,
      price: PRICE,
      outputCap: 1024,
    });
    h.routes.set('claude-haiku-4-5-20251001', route('claude-up'));
    // As policy routes it: the output cap is the call's max_tokens (800 below).
    h.routes.set('claude-cut', { ...route('cut-7'), outputCap: 800 });
    h.routes.set('claude-overloaded', route('error-529'));
    h.routes.set('gpt-priced', { ...h.routes.get('gpt-priced')!, outputCap: 1024 });
    client = new Anthropic({ apiKey: h.key, baseURL: h.gateway.url.replace(/\/v1$/, ''), maxRetries: 0 });
  });
  afterAll(async () => {
    await h?.stop();
    await Promise.all([anthropic?.close(), slow?.close()]);
  });

  describe('native to an anthropic provider', () => {
    it('answers JSON from Anthropic as it came, the client’s body forwarded byte for byte but its model, and bills Anthropic’s usage', async () => {
      const raw =
        '{ "model" : "claude-haiku-4-5-20251001", "max_tokens": 256, "messages": [{"role":"user","content":[{"type":"text","text":"What is a sluice?","cache_control":{"type":"ephemeral"}}]}], "metadata": {"user_id":"{\\"session_id\\":\\"s1\\"}"} }';
      const res = await post('/v1/messages?beta=true', raw, {
        'x-request-id': 'm-json',
        'anthropic-beta': 'interleaved-thinking-2025-05-14,claude-code-20250219',
        'x-claude-code-session-id': 'sess-1',
      });
      expect(res.status).toBe(200);
      const message: any = await res.json();
      expect(message).toMatchObject({
        type: 'message',
        role: 'assistant',
        model: 'claude-up',
        stop_reason: 'end_turn',
        content: [{ type: 'text' }],
      });
      expect(res.headers.get('request-id')).toBe('m-json');

      const billed = anthropic.invoice.byRequest.get('m-json')!;
      expect(billed.body).toBe(raw.replace('"claude-haiku-4-5-20251001"', '"claude-up"'));
      expect(billed.headers).toMatchObject({
        'x-api-key': ANTHROPIC_SECRET,
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'interleaved-thinking-2025-05-14,claude-code-20250219',
      });
      expect(billed.headers.authorization).toBeUndefined();
      expect(billed.cacheWriteTokens).toBeGreaterThan(0);

      const usage = await h.usageOf('m-json');
      expect(usage).toMatchObject({
        operation: 'messages',
        model: 'claude-haiku-4-5-20251001',
        upstreamModel: 'claude-up',
        inputTokens: billed.promptTokens,
        cachedInputTokens: 0,
        cacheWriteInputTokens: billed.cacheWriteTokens,
        outputTokens: billed.completionTokens,
        estimated: false,
        sessionId: 'sess-1',
        user: '{"session_id":"s1"}',
      });
      expect(res.headers.get('x-sluice-cost-usd')).toBe(
        priced({ input: billed.promptTokens, output: billed.completionTokens }),
      );
    });

    it('streams every event as Anthropic sent it, message_stop (held until the call is finished) last; a thinking block comes back to Anthropic intact', async () => {
      const body = {
        model: 'claude-haiku-4-5-20251001',
        max_tokens: 1000,
        stream: true,
        thinking: { type: 'enabled', budget_tokens: 500 },
        tools,
        messages: [{ role: 'user', content: 'Please use the tool on sluice' }],
      };
      const res = await post('/v1/messages', body, { 'x-request-id': 'm-sse' });
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const sse = await res.text();
      const events = eventsOf(sse);
      expect(events[0][0]).toBe('message_start');
      expect(events.at(-1)![0]).toBe('message_stop');
      const deltas = new Set(
        events.filter(([e]) => e === 'content_block_delta').map(([, d]) => JSON.parse(d).delta.type),
      );
      expect(deltas).toEqual(new Set(['thinking_delta', 'signature_delta', 'input_json_delta']));
      const billed = anthropic.invoice.byRequest.get('m-sse')!;
      const usage = await h.usageOf('m-sse');
      expect(usage).toMatchObject({
        stream: true,
        status: 200,
        inputTokens: billed.promptTokens,
        outputTokens: billed.completionTokens,
        estimated: false,
      });

      // The SDK rebuilds the message from those events; sent back, Anthropic accepts its thinking block.
      const stream = client.messages.stream({ ...body, stream: undefined } as never);
      const assembled = await stream.finalMessage();
      const thinking = assembled.content.find((b) => b.type === 'thinking')!;
      const toolUse = assembled.content.find((b) => b.type === 'tool_use')!;
      expect(thinking.type === 'thinking' && thinking.signature).toMatch(/\+\/sig==$/);
      const followUp = await client.messages.create(
        {
          model: 'claude-haiku-4-5-20251001',
          max_tokens: 1000,
          thinking: { type: 'enabled', budget_tokens: 500 },
          tools,
          messages: [
            ...body.messages,
            { role: 'assistant', content: assembled.content },
            {
              role: 'user',
              content: [
                {
                  type: 'tool_result',
                  tool_use_id: toolUse.type === 'tool_use' ? toolUse.id : '',
                  content: 'a gate for water',
                },
              ],
            },
          ],
        } as never,
        { headers: { 'x-request-id': 'm-follow' } },
      );
      expect((followUp as Anthropic.Message).content.at(-1)).toMatchObject({
        type: 'text',
        text: expect.stringContaining('a gate for water'),
      });
      const sent = JSON.parse(anthropic.invoice.byRequest.get('m-follow')!.body!);
      expect(sent.messages[1].content[0]).toEqual(thinking);
    });

    it('bills a stream Anthropic cut before its message_delta at least what it generated (thinking: the whole max_tokens), and ends it with an error event', async () => {
      const res = await post(
        '/v1/messages',
        {
          model: 'claude-cut',
          max_tokens: 800,
          stream: true,
          thinking: { type: 'enabled', budget_tokens: 500 },
          messages: [{ role: 'user', content: 'Hello' }],
        },
        { 'x-request-id': 'm-cut' },
      );
      const events = eventsOf(await res.text());
      expect(events.at(-1)).toEqual(['error', expect.stringContaining('"type":"api_error"')]);
      const billed = anthropic.invoice.byRequest.get('m-cut')!;
      const usage = await h.usageOf('m-cut');
      expect(usage).toMatchObject({ status: 502, estimated: true, inputTokens: billed.promptTokens });
      expect(usage.outputTokens).toBe(800);
      expect(usage.outputTokens).toBeGreaterThanOrEqual(billed.completionTokens);
    });

    it('keeps draining a stream the client left, so everything Anthropic generated is billed as it billed it', async () => {
      const stream = await client.messages.create(
        {
          model: 'claude-slow',
          max_tokens: 1000,
          stream: true,
          messages: [{ role: 'user', content: 'Please reply with 60 words.' }],
        },
        { headers: { 'x-request-id': 'm-abort' } },
      );
      let deltas = 0;
      for await (const event of stream) if (event.type === 'content_block_delta' && ++deltas === 3) break;
      const usage = await h.usageOf('m-abort');
      const billed = slow.invoice.byRequest.get('m-abort')!;
      expect(billed.completed).toBe(true);
      expect(usage).toMatchObject({
        estimated: false,
        inputTokens: billed.promptTokens,
        outputTokens: billed.completionTokens,
      });
      expect(usage.outputTokens).toBeGreaterThan(60);
    });

    it('passes Anthropic’s own errors on (529 → OverloadedError) and answers its own in Anthropic’s shape', async () => {
      const overloaded = await client.messages
        .create({ model: 'claude-overloaded', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
        .catch((e) => e);
      expect(overloaded).toBeInstanceOf(Anthropic.InternalServerError);
      expect(overloaded).toMatchObject({ status: 529, type: 'overloaded_error' });
      const unknown = await client.messages
        .create({ model: 'nope', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
        .catch((e) => e);
      expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
      expect(unknown.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
      expect(unknown.headers.get('x-should-retry')).toBe('false');
      const noMax = await post('/v1/messages', { model: 'claude-haiku-4-5-20251001', messages: [] });
      expect(noMax.status).toBe(400);
      expect(await noMax.json()).toMatchObject({
        type: 'error',
        error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
      });
      const noKey = await fetch(`${h.gateway.url}/messages`, {
        method: 'POST',
        headers: { 'anthropic-version': '2023-06-01' },
        body: '{}',
      });
      expect(noKey.status).toBe(401);
      expect(noKey.headers.get('x-should-retry')).toBe('false');
      expect(await noKey.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    });

    it('forwards count_tokens to Anthropic, for free: no usage is recorded', async () => {
      const counted = await client.messages.countTokens(
        { model: 'claude-haiku-4-5-20251001', messages: [{ role: 'user', content: 'How many tokens is this?' }] },
        { headers: { 'x-request-id': 'm-count' } },
      );
      expect(counted.input_tokens).toBeGreaterThan(5);
      expect(anthropic.invoice.countTokensCalls).toBe(1);
      // A call made after it is recorded; the gateway publishes usage in the order calls end, so
      // count_tokens' usage, had it any, would be on the stream by then.
      await client.messages.create(
        { model: 'claude-haiku-4-5-20251001', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-request-id': 'm-after-count' } },
      );
      await h.usageOf('m-after-count');
      const recorded = (await h.usageMessages()).map((m) => m.clientRequestId);
      expect(recorded).toContain('m-after-count');
      expect(recorded).not.toContain('m-count');
    });
  });

  describe('translated to an OpenAI-compatible provider', () => {
    it('answers JSON and streams as Anthropic would, billed as the upstream billed it', async () => {
      const { data, response } = await client.messages
        .create(
          {
            model: 'gpt-priced',
            max_tokens: 200,
            system: 'Be terse.',
            messages: [{ role: 'user', content: 'What is a sluice?' }],
          },
          { headers: { 'x-request-id': 'tr-json' } },
        )
        .withResponse();
      const billed = h.upstream.invoice.byRequest.get('tr-json')!;
      expect(data).toMatchObject({
        type: 'message',
        role: 'assistant',
        model: 'gpt-priced',
        stop_reason: 'end_turn',
        usage: { input_tokens: billed.promptTokens, output_tokens: billed.completionTokens },
      });
      expect(data.content[0].type === 'text' && data.content[0].text).toContain('What is a sluice?');
      expect(JSON.parse(JSON.stringify(billed.headers))).not.toHaveProperty('anthropic-version');
      expect(response.headers.get('x-sluice-cost-usd')).toBe(
        priced({ input: billed.promptTokens, output: billed.completionTokens }),
      );
      expect(await h.usageOf('tr-json')).toMatchObject({
        operation: 'messages',
        inputTokens: billed.promptTokens,
        outputTokens: billed.completionTokens,
        estimated: false,
      });

      const stream = client.messages.stream(
        { model: 'gpt-priced', max_tokens: 200, messages: [{ role: 'user', content: 'What is a sluice?' }] },
        { headers: { 'x-request-id': 'tr-sse' } },
      );
      const types: string[] = [];
      stream.on('streamEvent', (e) => types.push(e.type));
      const final = await stream.finalMessage();
      const streamed = h.upstream.invoice.byRequest.get('tr-sse')!;
      expect(types[0]).toBe('message_start');
      expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
      expect(final.usage).toMatchObject({
        input_tokens: streamed.promptTokens,
        output_tokens: streamed.completionTokens,
      });
      expect(await h.usageOf('tr-sse')).toMatchObject({
        stream: true,
        inputTokens: streamed.promptTokens,
        outputTokens: streamed.completionTokens,
        estimated: false,
      });
    });

    it('translates a tool round trip, streamed', async () => {
      const first = await client.messages
        .stream({
          model: 'gpt-test',
          max_tokens: 200,
          tools,
          messages: [{ role: 'user', content: 'Please use the tool' }],
        })
        .finalMessage();
      expect(first.stop_reason).toBe('tool_use');
      const use = first.content.find((b) => b.type === 'tool_use')!;
      expect(use).toMatchObject({ name: 'lookup', input: { query: 'Please use the tool' } });
      const second = await client.messages.create({
        model: 'gpt-test',
        max_tokens: 200,
        tools,
        messages: [
          { role: 'user', content: 'Please use the tool' },
          { role: 'assistant', content: first.content },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: use.type === 'tool_use' ? use.id : '', content: 'forty-two' },
            ],
          },
        ],
      });
      expect(second.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('forty-two') });
    });

    it('refuses what chat cannot say with a 400 naming the field, and counts tokens with a tokenizer, flagged', async () => {
      const topK = await post('/v1/messages', {
        model: 'gpt-test',
        max_tokens: 10,
        top_k: 5,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(topK.status).toBe(400);
      expect(((await topK.json()) as any).error).toMatchObject({
        type: 'invalid_request_error',
        message: expect.stringMatching(/^top_k: /),
      });
      const server = await post('/v1/messages', {
        model: 'gpt-test',
        max_tokens: 10,
        tools: [{ type: 'web_search_20250305', name: 'web_search' }],
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(((await server.json()) as any).error.message).toMatch(/^tools\.0\.type: /);

      const { data, response } = await client.messages
        .countTokens({
          model: 'gpt-test',
          system: 'Be terse.',
          messages: [{ role: 'user', content: 'How many tokens is this?' }],
        })
        .withResponse();
      expect(response.headers.get('x-sluice-token-count')).toBe('estimate; tokenizer=o200k_base');
      expect(data.input_tokens).toBeGreaterThan(10);
      expect(data.input_tokens).toBeLessThan(40);
    });
  });

  it('lists the key’s models in Anthropic’s format to an Anthropic caller, in OpenAI’s to others', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id).sort()).toEqual(['gpt-mock', 'gpt-test']);
    expect(page.data[0]).toMatchObject({
      type: 'model',
      display_name: expect.any(String),
      created_at: '2023-11-14T22:13:20Z',
    });
    const openAi = await fetch(`${h.gateway.url}/models`, { headers: { authorization: `Bearer ${h.key}` } });
    expect(((await openAi.json()) as any).object).toBe('list');
    const limited = await (await fetch(`${h.gateway.url}/models?limit=1`, { headers: { 'x-api-key': h.key } })).json();
    expect(limited).toMatchObject({ has_more: true, data: [{ type: 'model' }] });
  });
});
