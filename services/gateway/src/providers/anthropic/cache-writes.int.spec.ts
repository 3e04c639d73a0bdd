import { request } from 'node:http';
import { formatNanoUsd, modelPrice } from '@sluice/contracts';
import { startMockUpstream, type InvoiceEntry, type MockUpstream } from '@sluice/mock-llm';
import { scrapeMetrics } from '@sluice/telemetry';
import { sampleValue } from '@sluice/testing';
import { startHarness, type Harness } from '../../../test/harness';

jest.setTimeout(60_000);

const ANTHROPIC_SECRET = 'sk-ant-api03-mock-0123456789abcdef0123456789';
/** Claude Haiku 4.5's catalog price: $1 input, $0.10 cache read, $1.25 cache write, $5 output per million tokens. */
const HAIKU = modelPrice({
  inputUsdPerMTok: 1,
  cachedInputUsdPerMTok: 0.1,
  cacheWriteUsdPerMTok: 1.25,
  outputUsdPerMTok: 5,
});

/**
 * What Anthropic invoices for a call at HAIKU, in nano-dollars: 1,000 / 100 / 1,250 / 5,000 a token,
 * and 2,000 (twice the input price) for a token written to the cache for an hour.
 */
const invoiced = (b: InvoiceEntry): number => {
  const read = b.cacheReadTokens ?? 0;
  const written = b.cacheWriteTokens ?? 0;
  const hour = b.cacheWrite1hTokens ?? 0;
  return (
    (b.promptTokens - read - written) * 1000 +
    read * 100 +
    (written - hour) * 1250 +
    hour * 2000 +
    b.completionTokens * 5000
  );
};

interface Raw {
  status: number;
  headers: NodeJS.Dict<string | string[]>;
  trailers: NodeJS.Dict<string>;
  text: string;
}

/**
 * Every prompt caches a long text of its own (the mock writes it to its cache the first time it
 * sees a `cache_control` breakpoint, and bills the write apart, as Anthropic does).
 */
const cachedText = (seed: string) => `${seed}: ${'The sluice gate holds back the water of the mill race. '.repeat(40)}`;

/**
 * A chat completion or a bridged Responses call to an `anthropic` model whose catalog prices cache
 * writes above input: what Anthropic invoices — cache writes at the cache-write price — is what the
 * call is billed, in its usage message, its cost header (or trailer) and the client's usage.
 */
describe('cache writes through the chat and bridged Responses ingresses (real NATS, mock Anthropic upstream)', () => {
  let h: Harness;
  let anthropic: MockUpstream;

  beforeAll(async () => {
    [h, anthropic] = await Promise.all([startHarness(), startMockUpstream({ anthropicApiKey: ANTHROPIC_SECRET })]);
    h.credentials.push({
      providerId: 'prov-claude',
      type: 'anthropic',
      baseUrl: anthropic.url,
      apiKey: ANTHROPIC_SECRET,
      secretVersion: 1,
    });
    h.routes.set('claude-haiku', {
      providerId: 'prov-claude',
      providerType: 'anthropic',
      baseUrl: anthropic.url,
      upstreamModel: 'claude-up',
      price: HAIKU,
      maxOutputTokens: 1000,
    });
  });
  afterAll(async () => {
    await h?.stop();
    await anthropic?.close();
  });

  /** A raw call, its trailers read (a stream's cost comes as a trailer). */
  const post = (path: string, body: unknown, requestId: string): Promise<Raw> =>
    new Promise((resolve, reject) => {
      const req = request(
        `${h.gateway.url}${path}`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${h.key}`,
            'content-type': 'application/json',
            'x-request-id': requestId,
            'anthropic-version': '2023-06-01',
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, trailers: res.trailers, text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });

  const chatBody = (
    seed: string,
    extra: Record<string, unknown> = {},
    cacheControl: unknown = { type: 'ephemeral' },
  ) => ({
    model: 'claude-haiku',
    messages: [
      { role: 'system', content: 'You are terse.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: cachedText(seed), cache_control: cacheControl },
          { type: 'text', text: 'What is a sluice?' },
        ],
      },
    ],
    ...extra,
  });
  const responsesBody = (
    seed: string,
    extra: Record<string, unknown> = {},
    cacheControl: unknown = { type: 'ephemeral' },
  ) => ({
    model: 'claude-haiku',
    store: false,
    input: [
      {
        role: 'user',
        content: [
          { type: 'input_text', text: cachedText(seed), cache_control: cacheControl },
          { type: 'input_text', text: 'What is a sluice?' },
        ],
      },
    ],
    ...extra,
  });

  /** Every call the tests made, by ingress operation: the gateway's cost metric must add up to their invoice. */
  const made: Record<'chat' | 'responses' | 'messages', string[]> = { chat: [], responses: [], messages: [] };
  const operationOf = (requestId: string) =>
    (requestId.match(/^cw-(responses|messages)/)?.[1] ?? 'chat') as keyof typeof made;

  /** The call's usage message and its cost as the client was told it, both equal to the invoice. */
  async function expectBilledAsInvoiced(requestId: string, cost: string | undefined): Promise<InvoiceEntry> {
    made[operationOf(requestId)].push(requestId);
    const billed = anthropic.invoice.byRequest.get(requestId)!;
    expect(billed).toMatchObject({ completed: true });
    expect(billed.cacheWriteTokens).toBeGreaterThan(0);
    const usage = await h.usageOf(requestId);
    expect(usage).toMatchObject({
      status: 200,
      estimated: false,
      inputTokens: billed.promptTokens,
      cachedInputTokens: billed.cacheReadTokens,
      cacheWriteInputTokens: billed.cacheWriteTokens,
      outputTokens: billed.completionTokens,
      costNanos: invoiced(billed),
    });
    expect(cost).toBe(formatNanoUsd(invoiced(billed)));
    return billed;
  }

  it('bills a chat completion’s cache writes at the cache-write price, and its cache reads at the read price', async () => {
    const res = await post('/chat/completions', chatBody('chat-json'), 'cw-chat-json');
    expect(res.status).toBe(200);
    const billed = await expectBilledAsInvoiced('cw-chat-json', res.headers['x-sluice-cost-usd'] as string);
    // What the client sees stays OpenAI's: prompt_tokens holds the writes and reads.
    expect(JSON.parse(res.text).usage).toMatchObject({
      prompt_tokens: billed.promptTokens,
      completion_tokens: billed.completionTokens,
      prompt_tokens_details: { cached_tokens: 0 },
    });

    const again = await post('/chat/completions', chatBody('chat-json'), 'cw-chat-json-read');
    made.chat.push('cw-chat-json-read');
    const read = anthropic.invoice.byRequest.get('cw-chat-json-read')!;
    expect(read.cacheReadTokens).toBe(billed.cacheWriteTokens);
    expect(await h.usageOf('cw-chat-json-read')).toMatchObject({
      cachedInputTokens: read.cacheReadTokens,
      costNanos: invoiced(read),
    });
    expect(again.headers['x-sluice-cost-usd']).toBe(formatNanoUsd(invoiced(read)));
  });

  it.each([
    ['without', {}],
    ['with', { stream_options: { include_usage: true } }],
  ])(
    'bills a chat stream %s the usage chunk at the cache-write price, in its cost trailer too',
    async (what, extra) => {
      const requestId = `cw-chat-sse-${what}`;
      const res = await post('/chat/completions', chatBody(requestId, { stream: true, ...extra }), requestId);
      expect(res.status).toBe(200);
      expect(res.text).toContain('data: [DONE]');
      const billed = await expectBilledAsInvoiced(requestId, res.trailers['x-sluice-cost-usd']);
      if (what === 'with') expect(res.text).toContain(`"prompt_tokens":${billed.promptTokens},`);
    },
  );

  it('bills a bridged Responses call’s cache writes at the cache-write price', async () => {
    const res = await post('/responses', responsesBody('responses-json'), 'cw-responses-json');
    expect(res.status).toBe(200);
    const billed = await expectBilledAsInvoiced('cw-responses-json', res.headers['x-sluice-cost-usd'] as string);
    expect(JSON.parse(res.text).usage).toMatchObject({
      input_tokens: billed.promptTokens,
      output_tokens: billed.completionTokens,
    });
  });

  it('bills a bridged Responses stream’s cache writes at the cache-write price, in its cost trailer too', async () => {
    const res = await post('/responses', responsesBody('responses-sse', { stream: true }), 'cw-responses-sse');
    expect(res.status).toBe(200);
    expect(res.text).toContain('response.completed');
    await expectBilledAsInvoiced('cw-responses-sse', res.trailers['x-sluice-cost-usd']);
  });

  const HOUR = { type: 'ephemeral', ttl: '1h' };
  const messagesBody = (seed: string, extra: Record<string, unknown> = {}) => ({
    model: 'claude-haiku',
    max_tokens: 200,
    system: [{ type: 'text', text: cachedText(seed), cache_control: HOUR }],
    messages: [{ role: 'user', content: 'What is a sluice?' }],
    ...extra,
  });

  /** Each ingress with a 1-hour breakpoint: the path, and its body (the seed is the request id). */
  const hourCalls: Record<string, [string, (seed: string, extra: Record<string, unknown>) => unknown]> = {
    chat: ['/chat/completions', (seed, extra) => chatBody(seed, extra, HOUR)],
    'bridged Responses': ['/responses', (seed, extra) => responsesBody(seed, extra, HOUR)],
    '/v1/messages (passed through as sent)': ['/messages', messagesBody],
  };

  it.each(
    Object.keys(hourCalls).flatMap((ingress) => [
      [ingress, 'JSON'],
      [ingress, 'stream'],
    ]),
  )('bills a %s %s’s 1-hour cache writes at twice the input price', async (ingress, what) => {
    const [path, bodyOf] = hourCalls[ingress];
    const stream = what === 'stream';
    const requestId = `cw-${path.slice(1).replace('/', '-')}-1h-${what}`;
    const res = await post(path, bodyOf(requestId, stream ? { stream: true } : {}), requestId);
    expect(res.status).toBe(200);
    const billed = await expectBilledAsInvoiced(
      requestId,
      (stream ? res.trailers['x-sluice-cost-usd'] : res.headers['x-sluice-cost-usd']) as string,
    );
    // Anthropic wrote the prompt for an hour, and the call was billed its 1-hour price for it.
    expect(billed.cacheWrite1hTokens).toBe(billed.cacheWriteTokens);
  });

  it('counts in the gateway’s cost metric what Anthropic invoiced for the same calls, cache writes included', async () => {
    const scrape = await scrapeMetrics();
    for (const operation of ['chat', 'responses', 'messages'] as const) {
      expect(made[operation].length).toBeGreaterThan(0);
      const nanos = made[operation].reduce((sum, id) => sum + invoiced(anthropic.invoice.byRequest.get(id)!), 0);
      const labels = { model: 'claude-haiku', operation, status_class: '2xx' };
      expect(sampleValue(scrape, 'sluice_gateway_cost_usd_total', labels)).toBe(nanos / 1e9);
      expect(sampleValue(scrape, 'sluice_gateway_tokens_total', { ...labels, token_type: 'cache_write_input' })).toBe(
        made[operation].reduce((sum, id) => sum + anthropic.invoice.byRequest.get(id)!.cacheWriteTokens!, 0),
      );
    }
  });
});
