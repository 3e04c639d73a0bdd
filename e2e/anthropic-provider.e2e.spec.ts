import OpenAI from 'openai';
import { formatNanoUsd } from '@sluice/contracts';
import { mockChatCompletion, type InvoiceEntry } from '@sluice/mock-llm';
import { waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';
import { spendSettled } from './support/settled';

jest.setTimeout(180_000);

const ANTHROPIC_SECRET = 'sk-ant-api03-e2e-0123456789abcdef0123';
const PRICE = { input: 3, output: 15 };
/** What Anthropic invoices at Claude Haiku 4.5's prices, in nano-dollars. */
const haikuNanos = (b: InvoiceEntry) =>
  (b.promptTokens - (b.cacheReadTokens ?? 0) - (b.cacheWriteTokens ?? 0)) * 1000 +
  (b.cacheReadTokens ?? 0) * 100 +
  (b.cacheWriteTokens ?? 0) * 1250 +
  b.completionTokens * 5000;
const messages = [
  { role: 'system' as const, content: 'You are terse.' },
  { role: 'user' as const, content: 'Hello Claude' },
];

describe('an anthropic provider, end to end (real NATS, Postgres, five service processes, openai SDK)', () => {
  let e2e: E2eSystem;
  let client: OpenAI;
  let keyId: string;
  let providerId: string;
  const from = new Date(Date.now() - 3600_000).toISOString();

  beforeAll(async () => {
    e2e = await startE2eSystem({ upstream: { anthropicApiKey: ANTHROPIC_SECRET } });
    const provider = await e2e.admin('POST', '/providers', {
      name: 'anthropic',
      type: 'anthropic',
      apiKey: ANTHROPIC_SECRET,
      baseUrl: e2e.upstream.url,
    });
    expect(provider.status).toBe(201);
    providerId = provider.body.id;
    const model = await e2e.admin('POST', '/models', {
      name: 'claude-sonnet',
      providerId: provider.body.id,
      upstreamModel: 'claude-sonnet-up',
      inputUsdPerMTok: PRICE.input,
      outputUsdPerMTok: PRICE.output,
    });
    expect(model.status).toBe(201);
    const key = await e2e.admin('POST', '/keys', { name: 'claude-app' });
    expect(key.status).toBe(201);
    keyId = key.body.id;
    client = new OpenAI({
      apiKey: key.body.key,
      baseURL: e2e.system.gatewayUrl.replace('localhost', '127.0.0.1'),
      maxRetries: 0,
    });
  });
  afterAll(() => e2e?.stop());

  it('serves the catalog model through Anthropic’s Messages API, as JSON and as a stream, and meters it as Anthropic billed it', async () => {
    const expected = mockChatCompletion({ model: 'claude-sonnet-up', messages }).choices[0].message.content;
    const { data, response } = await client.chat.completions
      .create({ model: 'claude-sonnet', messages }, { headers: { 'x-request-id': 'cl-e2e-json' } })
      .withResponse();
    expect(data.choices[0].message.content).toBe(expected);
    expect(Number(response.headers.get('x-sluice-cost-usd'))).toBeGreaterThan(0);
    const billed = e2e.upstream.invoice.byRequest.get('cl-e2e-json')!;
    expect(billed).toMatchObject({ path: '/v1/messages', model: 'claude-sonnet-up', authorization: undefined });
    expect(billed.headers['x-api-key']).toBe(ANTHROPIC_SECRET);

    let streamed = '';
    for await (const chunk of await client.chat.completions.create(
      { model: 'claude-sonnet', messages, stream: true },
      { headers: { 'x-request-id': 'cl-e2e-sse' } },
    )) {
      streamed += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(streamed).toBe(expected);

    const invoice = ['cl-e2e-json', 'cl-e2e-sse'].map((id) => e2e.upstream.invoice.byRequest.get(id)!);
    const input = invoice.reduce((s, e) => s + e.promptTokens, 0);
    const output = invoice.reduce((s, e) => s + e.completionTokens, 0);
    const usage = await waitFor(
      async () => {
        const { body } = await e2e.admin('GET', `/keys/${keyId}/usage?${new URLSearchParams({ from })}`);
        return body?.totals?.requests === 2 ? body : null;
      },
      { timeoutMs: 20_000, description: 'both calls metered' },
    );
    expect(usage.totals).toMatchObject({ inputTokens: input, outputTokens: output, errors: 0 });
    expect(usage.totals.spendUsd).toBeCloseTo((input * PRICE.input + output * PRICE.output) / 1e6, 9);
  });

  it('bills cache writes at the cache-write price through chat (JSON and streamed) and bridged Responses: the request log, the key’s spend and its budget equal the invoice', async () => {
    // Claude Haiku 4.5's prices: 1,000 / 100 / 1,250 / 5,000 nano-dollars an input, cache-read, cache-write and output
    // token.
    const model = await e2e.admin('POST', '/models', {
      name: 'claude-haiku',
      providerId,
      upstreamModel: 'claude-haiku-up',
      inputUsdPerMTok: 1,
      cachedInputUsdPerMTok: 0.1,
      cacheWriteUsdPerMTok: 1.25,
      outputUsdPerMTok: 5,
    });
    expect(model.status).toBe(201);
    const key = await e2e.admin('POST', '/keys', { name: 'claude-cache', budget: { maxUsd: 10 } });
    expect(key.status).toBe(201);
    const cached = (seed: string) => `${seed}: ${'The mill race runs under the sluice gate. '.repeat(40)}`;
    const post = (path: string, body: Record<string, unknown>, requestId: string) =>
      fetch(`${e2e.system.gatewayUrl.replace('localhost', '127.0.0.1')}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key.body.key}`,
          'content-type': 'application/json',
          'x-request-id': requestId,
        },
        body: JSON.stringify(body),
      }).then(async (res) => ({
        status: res.status,
        cost: res.headers.get('x-sluice-cost-usd'),
        text: await res.text(),
      }));
    const chat = (seed: string, extra: Record<string, unknown> = {}) => ({
      model: 'claude-haiku',
      messages: [
        { role: 'user', content: [{ type: 'text', text: cached(seed), cache_control: { type: 'ephemeral' } }] },
      ],
      ...extra,
    });
    const responses = (seed: string, extra: Record<string, unknown> = {}) => ({
      model: 'claude-haiku',
      store: false,
      input: [
        { role: 'user', content: [{ type: 'input_text', text: cached(seed), cache_control: { type: 'ephemeral' } }] },
      ],
      ...extra,
    });
    const calls: [string, string, Record<string, unknown>][] = [
      ['cw-e2e-chat', '/chat/completions', chat('chat')],
      ['cw-e2e-chat-read', '/chat/completions', chat('chat')],
      ['cw-e2e-chat-sse', '/chat/completions', chat('chat-sse', { stream: true })],
      ['cw-e2e-resp', '/responses', responses('resp')],
      ['cw-e2e-resp-sse', '/responses', responses('resp-sse', { stream: true })],
    ];
    for (const [id, path, body] of calls) {
      const res = await post(path, body, id);
      expect(res.status).toBe(200);
      const billed = e2e.upstream.invoice.byRequest.get(id)!;
      if (id === 'cw-e2e-chat-read') expect(billed.cacheReadTokens).toBeGreaterThan(0);
      else expect(billed.cacheWriteTokens).toBeGreaterThan(0);
      if (!body.stream) expect(res.cost).toBe(formatNanoUsd(haikuNanos(billed)));
    }

    let total = 0;
    for (const [id, path] of calls) {
      const billed = e2e.upstream.invoice.byRequest.get(id)!;
      total += haikuNanos(billed);
      const record = await waitFor(
        async () =>
          (await e2e.admin('GET', `/requests?${new URLSearchParams({ keyId: key.body.id, from })}`)).body?.data?.find(
            (r: { clientRequestId: string }) => r.clientRequestId === id,
          ),
        { timeoutMs: 20_000, description: `the record of ${id}` },
      );
      expect(record).toMatchObject({
        operation: path === '/responses' ? 'responses' : 'chat',
        inputTokens: billed.promptTokens,
        cachedInputTokens: billed.cacheReadTokens,
        cacheWriteInputTokens: billed.cacheWriteTokens,
        outputTokens: billed.completionTokens,
        estimated: false,
      });
      expect(Math.round(record.costUsd * 1e9)).toBe(haikuNanos(billed));
    }
    const usage = (await e2e.admin('GET', `/keys/${key.body.id}/usage?${new URLSearchParams({ from })}`)).body;
    expect(Math.round(usage.totals.spendUsd * 1e9)).toBe(total);
    await spendSettled(async () => (await e2e.admin('GET', `/keys/${key.body.id}`)).body?.budget, total, 20_000);
  });

  it('answers legacy completions on an Anthropic model with a 400', async () => {
    const err = await client.completions.create({ model: 'claude-sonnet', prompt: 'Hi' }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: 'unsupported_operation' });
  });
});
