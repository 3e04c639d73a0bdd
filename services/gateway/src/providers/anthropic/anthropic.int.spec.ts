import OpenAI from 'openai';
import { mockChatCompletion, startMockUpstream, type MockUpstream } from '@sluice/mock-llm';
import { PRICE, priced, startHarness, type Harness } from '../../../test/harness';

jest.setTimeout(60_000);

const ANTHROPIC_SECRET = 'sk-ant-api03-mock-0123456789abcdef0123456789';
const messages = [
  { role: 'system' as const, content: 'You are terse.' },
  { role: 'user' as const, content: 'What is a sluice?' },
];
const expectedText = mockChatCompletion({ model: 'claude-up', messages }).choices[0].message.content;

describe('the anthropic provider (real NATS, mock Anthropic upstream, openai SDK)', () => {
  let h: Harness;
  let anthropic: MockUpstream;
  let slow: MockUpstream;

  beforeAll(async () => {
    [h, anthropic, slow] = await Promise.all([
      startHarness(),
      startMockUpstream({ anthropicApiKey: ANTHROPIC_SECRET }),
      startMockUpstream({ anthropicApiKey: ANTHROPIC_SECRET, chunkDelayMs: 15 }),
    ]);
    const provider = (providerId: string, baseUrl: string, apiKey: string) => {
      h.credentials.push({ providerId, type: 'anthropic', baseUrl, apiKey, secretVersion: 1 });
      return (upstreamModel: string) => ({ providerId, providerType: 'anthropic' as const, baseUrl, upstreamModel });
    };
    const main = provider('prov-claude', anthropic.url, ANTHROPIC_SECRET);
    h.routes.set('claude', { ...main('claude-up'), price: PRICE, maxOutputTokens: 1000 });
    for (const fault of ['error-429', 'error-529', 'cut-5']) h.routes.set(`claude-${fault}`, main(fault));
    h.routes.set('claude-slow', provider('prov-claude-slow', slow.url, ANTHROPIC_SECRET)('claude-up'));
    h.routes.set(
      'claude-wrong-key',
      provider('prov-claude-wrong', anthropic.url, 'sk-ant-revoked-00000000000000000000')('claude-up'),
    );
  });
  afterAll(async () => {
    await h?.stop();
    await Promise.all([anthropic?.close(), slow?.close()]);
  });

  it('answers a chat completion from Anthropic’s Messages API, with the key as x-api-key, and bills what Anthropic counted', async () => {
    const { data, response } = await h
      .client()
      .chat.completions.create({ model: 'claude', messages }, { headers: { 'x-request-id': 'cl-json' } })
      .withResponse();
    expect(data).toMatchObject({
      object: 'chat.completion',
      model: 'claude-up',
      choices: [{ index: 0, message: { role: 'assistant', content: expectedText }, finish_reason: 'stop' }],
    });
    expect(data.id).toMatch(/^msg/);

    const billed = anthropic.invoice.byRequest.get('cl-json')!;
    expect(billed).toMatchObject({
      path: '/v1/messages',
      model: 'claude-up',
      authorization: undefined,
      completed: true,
    });
    expect(billed.headers).toMatchObject({ 'x-api-key': ANTHROPIC_SECRET, 'anthropic-version': '2023-06-01' });
    expect(data.usage).toMatchObject({
      prompt_tokens: billed.promptTokens,
      completion_tokens: billed.completionTokens,
    });

    const usage = await h.usageOf('cl-json');
    expect(usage).toMatchObject({
      model: 'claude',
      upstreamModel: 'claude-up',
      providerId: 'prov-claude',
      status: 200,
      inputTokens: billed.promptTokens,
      outputTokens: billed.completionTokens,
      estimated: false,
    });
    expect(response.headers.get('x-sluice-cost-usd')).toBe(
      priced({ input: billed.promptTokens, output: billed.completionTokens }),
    );
  });

  it('streams as chat.completion.chunk events without a usage chunk the client did not ask for, and bills the invoice', async () => {
    const stream = await h
      .client()
      .chat.completions.create({ model: 'claude', messages, stream: true }, { headers: { 'x-request-id': 'cl-sse' } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(expectedText);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.choices.length === 1 && !c.usage)).toBe(true);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('stop');

    const billed = anthropic.invoice.byRequest.get('cl-sse')!;
    expect(billed).toMatchObject({ stream: true, completed: true });
    expect(await h.usageOf('cl-sse')).toMatchObject({
      stream: true,
      status: 200,
      inputTokens: billed.promptTokens,
      outputTokens: billed.completionTokens,
      estimated: false,
    });
  });

  it('ends the stream with the usage chunk when the client asked for it, equal to the invoice', async () => {
    const stream = await h
      .client()
      .chat.completions.create(
        { model: 'claude', messages, stream: true, stream_options: { include_usage: true } },
        { headers: { 'x-request-id': 'cl-sse-usage' } },
      );
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const billed = anthropic.invoice.byRequest.get('cl-sse-usage')!;
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: billed.promptTokens, completion_tokens: billed.completionTokens },
    });
    expect(await h.usageOf('cl-sse-usage')).toMatchObject({
      inputTokens: billed.promptTokens,
      outputTokens: billed.completionTokens,
      estimated: false,
    });
  });

  it('keeps draining a stream the client aborted, so everything Anthropic generated is billed', async () => {
    const stream = await h
      .client()
      .chat.completions.create(
        { model: 'claude-slow', messages: [{ role: 'user', content: 'Please reply with 60 words.' }], stream: true },
        { headers: { 'x-request-id': 'cl-abort' } },
      );
    let seen = 0;
    for await (const chunk of stream) if (chunk.choices[0]?.delta?.content && ++seen === 3) break;
    const usage = await h.usageOf('cl-abort');
    const billed = slow.invoice.byRequest.get('cl-abort')!;
    expect(billed.completed).toBe(true);
    expect(usage).toMatchObject({
      estimated: false,
      inputTokens: billed.promptTokens,
      outputTokens: billed.completionTokens,
    });
    expect(usage.outputTokens).toBeGreaterThan(60);
  });

  it('translates tools both ways: a forced tool call comes back as tool_calls, streamed or not', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'lookup',
          description: 'Look a word up',
          parameters: { type: 'object', properties: { query: { type: 'string' } } },
        },
      },
    ];
    const c = await h.client().chat.completions.create({ model: 'claude', messages, tools, tool_choice: 'required' });
    expect(c.choices[0].finish_reason).toBe('tool_calls');
    const call = c.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.function).toEqual({ name: 'lookup', arguments: JSON.stringify({ query: 'What is a sluice?' }) });

    const stream = await h
      .client()
      .chat.completions.create({ model: 'claude', messages, tools, tool_choice: 'required', stream: true });
    let args = '';
    for await (const chunk of stream) args += chunk.choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? '';
    expect(args).toBe(call.function.arguments);

    const followUp = await h.client().chat.completions.create({
      model: 'claude',
      messages: [...messages, c.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'a gate' }],
    });
    expect(followUp.choices[0].message.content).toContain('Mock reply');
  });

  it('ends a stream Anthropic cut off with an SSE error event, and bills an estimate', async () => {
    const stream = await h
      .client()
      .chat.completions.create(
        { model: 'claude-cut-5', messages, stream: true },
        { headers: { 'x-request-id': 'cl-cut' } },
      );
    let text = '';
    const failure = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    })().catch((e) => e);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure.error).toMatchObject({ code: 'upstream_error', type: 'server_error' });
    expect(text.length).toBeGreaterThan(0);
    const usage = await h.usageOf('cl-cut');
    expect(usage).toMatchObject({ status: 502, estimated: true });
    expect(usage.outputTokens).toBeGreaterThan(0);
  });

  it('refuses a body it cannot translate with a 400 naming the field, before calling Anthropic', async () => {
    const calls = anthropic.invoice.calls;
    const err = await h
      .client()
      .chat.completions.create({ model: 'claude', messages, n: 2 }, { headers: { 'x-request-id': 'cl-n2' } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      code: 'unsupported_parameter',
      param: 'n',
    });
    const emb = await h
      .client()
      .embeddings.create({ model: 'claude', input: 'x' })
      .catch((e) => e);
    expect(emb).toMatchObject({ status: 400, code: 'unsupported_operation' });
    expect(anthropic.invoice.calls).toBe(calls);
    expect(await h.usageOf('cl-n2')).toMatchObject({ status: 400, inputTokens: 0, outputTokens: 0 });
  });

  it('turns Anthropic’s 401 into 502 upstream_auth_error, 429 into 429 and 529 overloaded into 503', async () => {
    const denied = await h
      .client()
      .chat.completions.create({ model: 'claude-wrong-key', messages }, { headers: { 'x-request-id': 'cl-401' } })
      .catch((e) => e);
    expect(denied).toMatchObject({ status: 502, code: 'upstream_auth_error' });
    expect(await h.usageOf('cl-401')).toMatchObject({ status: 502, providerId: 'prov-claude-wrong' });
    expect(
      await h
        .client()
        .chat.completions.create({ model: 'claude-error-429', messages })
        .catch((e) => e),
    ).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    const overloaded = await h
      .client()
      .chat.completions.create({ model: 'claude-error-529', messages, stream: true })
      .catch((e) => e);
    expect(overloaded).toBeInstanceOf(OpenAI.InternalServerError);
    expect(overloaded).toMatchObject({ status: 503, type: 'service_unavailable_error' });
  });

  it('never writes the Anthropic key into its logs', () => {
    expect(h.logs.join('')).not.toContain(ANTHROPIC_SECRET);
  });
});
