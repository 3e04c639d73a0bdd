import OpenAI from 'openai';
import { mockChatCompletion } from '@sluice/mock-llm';
import { waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(180_000);

const ANTHROPIC_SECRET = 'sk-ant-api03-e2e-0123456789abcdef0123';
const PRICE = { input: 3, output: 15 };
const messages = [
  { role: 'system' as const, content: 'You are terse.' },
  { role: 'user' as const, content: 'Hello Claude' },
];

describe('an anthropic provider, end to end (real NATS, Postgres, five service processes, openai SDK)', () => {
  let e2e: E2eSystem;
  let client: OpenAI;
  let keyId: string;
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

  it('answers legacy completions on an Anthropic model with a 400', async () => {
    const err = await client.completions.create({ model: 'claude-sonnet', prompt: 'Hi' }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: 'unsupported_operation' });
  });
});
