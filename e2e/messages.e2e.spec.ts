import Anthropic from '@anthropic-ai/sdk';
import { formatNanoUsd, generateVirtualKey } from '@sluice/contracts';
import { waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(180_000);

const ANTHROPIC_SECRET = 'sk-ant-api03-e2e-messages-0123456789abcdef';
/** Claude Haiku 4.5's catalog price: $1 input, $0.10 cache read, $1.25 cache write, $5 output per million tokens. */
const HAIKU = { inputUsdPerMTok: 1, cachedInputUsdPerMTok: 0.1, cacheWriteUsdPerMTok: 1.25, outputUsdPerMTok: 5 };
/** What HAIKU charges in nano-dollars: 1,000 / 100 / 1,250 / 5,000 a token. */
const haikuNanos = (t: { input: number; read: number; write: number; output: number }) =>
  (t.input - t.read - t.write) * 1000 + t.read * 100 + t.write * 1250 + t.output * 5000;
const tools = [
  {
    name: 'lookup',
    description: 'Look a word up',
    input_schema: { type: 'object' as const, properties: { query: { type: 'string' } } },
  },
];
const hi = [{ role: 'user' as const, content: 'Hello there' }];

describe('the Anthropic Messages API, end to end (real NATS, Postgres, five service processes, @anthropic-ai/sdk)', () => {
  let e2e: E2eSystem;
  let base: string;
  const from = new Date(Date.now() - 3600_000).toISOString();

  const createKey = async (body: Record<string, unknown> = {}): Promise<{ id: string; key: string }> => {
    const created = await e2e.admin('POST', '/keys', {
      name: `claude-${Math.random().toString(36).slice(2)}`,
      ...body,
    });
    expect(created.status).toBe(201);
    return created.body;
  };
  const sdk = (apiKey: string) => new Anthropic({ apiKey, baseURL: base, maxRetries: 0 });
  const refusalOf = (call: Promise<unknown>) =>
    call.then(
      () => null,
      (err) => err,
    );
  const recordOf = (keyId: string, requestId: string) =>
    waitFor(
      async () =>
        (await e2e.admin('GET', `/requests?${new URLSearchParams({ keyId, from })}`)).body?.data?.find(
          (r: { clientRequestId: string }) => r.clientRequestId === requestId,
        ),
      {
        timeoutMs: 20_000,
        description: `the record of ${requestId}`,
      },
    );

  beforeAll(async () => {
    e2e = await startE2eSystem({ upstream: { anthropicApiKey: ANTHROPIC_SECRET } });
    base = e2e.system.gatewayUrl.replace('localhost', '127.0.0.1').replace(/\/v1$/, '');
    const anthropic = await e2e.admin('POST', '/providers', {
      name: 'anthropic',
      type: 'anthropic',
      apiKey: ANTHROPIC_SECRET,
      baseUrl: e2e.upstream.url,
    });
    expect(anthropic.status).toBe(201);
    // A family entry: dated ids as Claude Code sends them, each sent upstream as it came.
    const family = await e2e.admin('POST', '/models', {
      name: 'claude-haiku-4-5*',
      providerId: anthropic.body.id,
      upstreamModel: 'claude-haiku-4-5*',
      maxOutputTokens: 64_000,
      ...HAIKU,
    });
    expect(family.status).toBe(201);
    // An entry of its own wins over the family: a stream the mock cuts after 7 events.
    expect(
      (
        await e2e.admin('POST', '/models', {
          name: 'claude-haiku-4-5-cut',
          providerId: anthropic.body.id,
          upstreamModel: 'cut-7',
          ...HAIKU,
        })
      ).status,
    ).toBe(201);
    await e2e.addCatalog('openai-compatible', ['gpt-translated']);
  });
  afterAll(() => e2e?.stop());

  describe('native to an anthropic provider', () => {
    let key: { id: string; key: string };
    beforeAll(async () => (key = await createKey({ models: ['claude-haiku-4-5*'], operations: ['messages'] })));

    it('answers JSON for a dated model id, caching its system prompt: tokens and cost on the key equal the invoice, cache writes and reads priced as the catalog says', async () => {
      const system = [
        {
          type: 'text' as const,
          text: 'You are a careful assistant. '.repeat(30),
          cache_control: { type: 'ephemeral' as const },
        },
      ];
      const calls = [];
      for (const id of ['e2e-m-1', 'e2e-m-2']) {
        const { data, response } = await sdk(key.key)
          .messages.create(
            { model: 'claude-haiku-4-5-20251001', max_tokens: 300, system, messages: hi },
            { headers: { 'x-request-id': id } },
          )
          .withResponse();
        calls.push({ id, data, cost: response.headers.get('x-sluice-cost-usd') });
      }
      const [first, second] = calls;
      expect(first.data.usage.cache_creation_input_tokens).toBeGreaterThan(0);
      expect(second.data.usage.cache_read_input_tokens).toBe(first.data.usage.cache_creation_input_tokens);
      for (const { id, cost } of calls) {
        const billed = e2e.upstream.invoice.byRequest.get(id)!;
        expect(billed).toMatchObject({
          model: 'claude-haiku-4-5-20251001',
          headers: expect.objectContaining({ 'x-api-key': ANTHROPIC_SECRET }),
        });
        const nanos = haikuNanos({
          input: billed.promptTokens,
          read: billed.cacheReadTokens!,
          write: billed.cacheWriteTokens!,
          output: billed.completionTokens,
        });
        expect(cost).toBe(formatNanoUsd(nanos));
        const record = await recordOf(key.id, id);
        expect(record).toMatchObject({
          operation: 'messages',
          model: 'claude-haiku-4-5-20251001',
          inputTokens: billed.promptTokens,
          cachedInputTokens: billed.cacheReadTokens,
          cacheWriteInputTokens: billed.cacheWriteTokens,
          outputTokens: billed.completionTokens,
          estimated: false,
        });
        expect(formatNanoUsd(Math.round(record.costUsd * 1e9))).toBe(cost);
      }
    });

    it('streams every event type: message_start, content blocks (thinking with its signature, tool use as JSON deltas, text), ping, message_delta, message_stop, and an error event the SDK raises', async () => {
      const client = sdk(key.key);
      const seen = new Set<string>();
      const watch = async (stream: AsyncIterable<Anthropic.RawMessageStreamEvent>) => {
        for await (const event of stream)
          seen.add(event.type === 'content_block_delta' ? event.delta.type : event.type);
      };
      await watch(
        await client.messages.create({
          model: 'claude-haiku-4-5-20251001',
          max_tokens: 1000,
          stream: true,
          thinking: { type: 'enabled', budget_tokens: 500 },
          tools,
          messages: [{ role: 'user', content: 'Please use the tool on sluice' }],
        }),
      );
      await watch(
        await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 300, stream: true, messages: hi }),
      );
      expect([...seen].sort()).toEqual([
        'content_block_start',
        'content_block_stop',
        'input_json_delta',
        'message_delta',
        'message_start',
        'message_stop',
        'signature_delta',
        'text_delta',
        'thinking_delta',
      ]);
      // The SDK drops pings; they reach the client all the same.
      const raw = await fetch(`${base}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key.key, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 300, stream: true, messages: hi }),
      });
      expect(await raw.text()).toMatch(/^event: ping\ndata: \{"type":"ping"\}$/m);
      // A stream Anthropic cuts short ends with an error event, which the SDK raises.
      const cut = await refusalOf(
        watch(
          await client.messages.create({ model: 'claude-haiku-4-5-cut', max_tokens: 300, stream: true, messages: hi }),
        ),
      );
      expect(cut).toBeInstanceOf(Anthropic.APIError);
      expect(cut.error).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    });

    it('round-trips a tool use and its thinking block byte for byte: the signature Anthropic gave is the one it gets back', async () => {
      const client = sdk(key.key);
      const params = {
        model: 'claude-haiku-4-5-20251001',
        max_tokens: 1000,
        thinking: { type: 'enabled' as const, budget_tokens: 500 },
        tools,
        messages: [{ role: 'user' as const, content: 'Please use the tool on sluice' }],
      };
      const first = await client.messages.stream(params, { headers: { 'x-request-id': 'e2e-tool-1' } }).finalMessage();
      const thinking = first.content.find((b) => b.type === 'thinking') as Anthropic.ThinkingBlock;
      const use = first.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
      expect(use).toMatchObject({ name: 'lookup', input: { query: 'Please use the tool on sluice' } });
      const second = await client.messages.create(
        {
          ...params,
          messages: [
            ...params.messages,
            { role: 'assistant', content: first.content },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'a gate for water' }] },
          ],
        },
        { headers: { 'x-request-id': 'e2e-tool-2' } },
      );
      expect(second.content.at(-1)).toMatchObject({ type: 'text', text: expect.stringContaining('a gate for water') });
      // The upstream verified the thinking block (it refuses an altered one) and received these very bytes.
      expect(e2e.upstream.invoice.byRequest.get('e2e-tool-2')!.body).toContain(JSON.stringify(thinking.signature));
    });

    it('counts tokens through Anthropic for free (authorized, never billed) and lists only the key’s models, in Anthropic’s format', async () => {
      const client = sdk(key.key);
      const counted = await client.messages.countTokens({ model: 'claude-haiku-4-5-20251001', messages: hi });
      expect(counted.input_tokens).toBeGreaterThan(0);
      expect(e2e.upstream.invoice.countTokensCalls).toBe(1);
      const refused = await refusalOf(client.messages.countTokens({ model: 'gpt-translated', messages: hi }));
      expect(refused).toBeInstanceOf(Anthropic.PermissionDeniedError);
      const models = await client.models.list();
      expect(models.data.map((m) => m.id).sort()).toEqual(['claude-haiku-4-5', 'claude-haiku-4-5-cut']);
      expect(models.data[0]).toMatchObject({
        type: 'model',
        display_name: models.data[0].id,
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      });
    });
  });

  it('serves the same calls translated to an OpenAI-compatible upstream, billed at that upstream’s invoice', async () => {
    const key = await createKey({ models: ['gpt-translated'] });
    const client = sdk(key.key);
    const json = await client.messages.create(
      { model: 'gpt-translated', max_tokens: 200, system: 'Be terse.', messages: hi },
      { headers: { 'x-request-id': 'e2e-tr-json' } },
    );
    const streamed = await client.messages
      .stream({ model: 'gpt-translated', max_tokens: 200, messages: hi }, { headers: { 'x-request-id': 'e2e-tr-sse' } })
      .finalMessage();
    const tool = await client.messages.create(
      { model: 'gpt-translated', max_tokens: 200, tools, messages: [{ role: 'user', content: 'Please use the tool' }] },
      { headers: { 'x-request-id': 'e2e-tr-tool' } },
    );
    expect(tool.content).toEqual([expect.objectContaining({ type: 'tool_use', name: 'lookup' })]);
    expect(json.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('Hello there') });
    expect(streamed.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('Hello there') });
    const ids = ['e2e-tr-json', 'e2e-tr-sse', 'e2e-tr-tool'];
    const billed = ids.map((id) => e2e.upstream.invoice.byRequest.get(id)!);
    expect(billed.map((b) => b.path)).toEqual(['/v1/chat/completions', '/v1/chat/completions', '/v1/chat/completions']);
    const input = billed.reduce((s, b) => s + b.promptTokens, 0);
    const output = billed.reduce((s, b) => s + b.completionTokens, 0);
    const usage = await waitFor(
      async () => {
        const { body } = await e2e.admin('GET', `/keys/${key.id}/usage?${new URLSearchParams({ from })}`);
        return body?.totals?.requests === 3 ? body : null;
      },
      { timeoutMs: 20_000, description: 'the three translated calls metered' },
    );
    expect(usage.totals).toMatchObject({
      inputTokens: input,
      outputTokens: output,
      errors: 0,
      spendUsd: (input * 1 + output * 2) / 1e6,
    });
  });

  it('refuses by every rule of the key as on chat, each with the SDK’s typed error, and says when not to retry', async () => {
    // An explicit timeout: the SDK refuses a large max_tokens without streaming otherwise, before sending anything.
    const call = (apiKey: string, model = 'claude-haiku-4-5-20251001', max_tokens = 100) =>
      refusalOf(sdk(apiKey).messages.create({ model, max_tokens, messages: hi }, { timeout: 60_000 }));

    expect(await call(generateVirtualKey())).toBeInstanceOf(Anthropic.AuthenticationError);
    const disabled = await createKey();
    expect((await e2e.admin('POST', `/keys/${disabled.id}/disable`)).status).toBe(200);
    const off = await call(disabled.key);
    expect(off).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(off.headers.get('x-should-retry')).toBe('false');
    expect(await call((await createKey({ ipAllowlist: ['10.0.0.0/8'] })).key)).toBeInstanceOf(
      Anthropic.PermissionDeniedError,
    );
    const expiring = await createKey({ expiresAt: new Date(Date.now() + 2000).toISOString() });
    const expired = await waitFor(
      async () => {
        const refusal = await call(expiring.key);
        return refusal?.error?.error?.message?.includes('rule: expiresAt') ? refusal : null;
      },
      { timeoutMs: 15_000, intervalMs: 250, description: 'the key refused once it expired' },
    );
    expect(expired).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(await call((await createKey({ operations: ['chat'] })).key)).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(await call((await createKey({ models: ['gpt-*'] })).key)).toBeInstanceOf(Anthropic.PermissionDeniedError);
    const any = await createKey();
    expect(await call(any.key, 'claude-opus-5-5')).toBeInstanceOf(Anthropic.NotFoundError);
    const tooLong = await call(any.key, 'claude-haiku-4-5', 100_000);
    expect(tooLong).toBeInstanceOf(Anthropic.BadRequestError);
    expect(tooLong.error.error.message).toContain('max_tokens is too large');

    const limited = await createKey({ rateLimits: { requestsPerMinute: 1 } });
    const { response } = await sdk(limited.key)
      .messages.create({ model: 'claude-haiku-4-5', max_tokens: 50, messages: hi })
      .withResponse();
    expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('1');
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(Date.parse(response.headers.get('anthropic-ratelimit-requests-reset')!)).toBeGreaterThan(Date.now());
    const second = await call(limited.key, 'claude-haiku-4-5', 50);
    expect(second).toBeInstanceOf(Anthropic.RateLimitError);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(second.headers.get('x-should-retry')).toBeNull();

    // Claude Code's max_tokens of 32,000 reserves $0.16 of output: more than this budget holds.
    const poor = await createKey({ budget: { maxUsd: 0.01 } });
    const broke = await call(poor.key, 'claude-haiku-4-5', 32_000);
    expect(broke).toBeInstanceOf(Anthropic.RateLimitError);
    expect(broke.headers.get('x-should-retry')).toBe('false');
    expect(broke.error).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error', message: expect.stringContaining("This virtual key's budget of $0.01") },
    });
  });
});
