import OpenAI from 'openai';
import { mockChatCompletion } from '../chat';
import { startMockUpstream, type MockUpstream } from './server';

const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: true,
};

describe('the mock Responses API', () => {
  let upstream: MockUpstream;
  let client: OpenAI;
  beforeEach(async () => {
    upstream = await startMockUpstream();
    client = new OpenAI({ apiKey: 'sk-provider-secret', baseURL: upstream.url, maxRetries: 0 });
  });
  afterEach(() => upstream?.close());

  it('answers with the chat mock’s text and bills input, output, cached and reasoning tokens', async () => {
    const r = await client.responses.create({ model: 'mock-gpt', input: 'Hello upstream', instructions: 'Be terse.' });
    expect(r.output_text).toBe(
      mockChatCompletion({ model: 'mock-gpt', messages: [{ role: 'user', content: 'Hello upstream' }] }).choices[0]
        .message.content,
    );
    expect(upstream.invoice).toMatchObject({
      calls: 1,
      promptTokens: r.usage!.input_tokens,
      completionTokens: r.usage!.output_tokens,
      cachedTokens: 0,
      reasoningTokens: 0,
    });
    const long = await client.responses.create(
      { model: 'o3-mock', input: 'x '.repeat(3000), prompt_cache_key: 'k' },
      { headers: { 'x-request-id': 'long' } },
    );
    expect(long.usage!.input_tokens_details.cached_tokens).toBeGreaterThan(1000);
    expect(long.usage!.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    expect(upstream.invoice.byRequest.get('long')).toMatchObject({
      cachedTokens: long.usage!.input_tokens_details.cached_tokens,
      reasoningTokens: long.usage!.output_tokens_details.reasoning_tokens,
    });
  });

  it('streams every event in order, sequence numbers rising from 0, ending in response.completed', async () => {
    const types: string[] = [];
    const sequence: number[] = [];
    let text = '';
    for await (const e of await client.responses.create({ model: 'mock-gpt', input: 'Hello upstream', stream: true })) {
      types.push(e.type);
      sequence.push(e.sequence_number);
      if (e.type === 'response.output_text.delta') text += e.delta;
    }
    expect(types.slice(0, 5)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
    ]);
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(sequence).toEqual(sequence.map((_, i) => i));
    expect(text.length).toBeGreaterThan(10);
  });

  it('calls a function when asked to, then answers its result; a previous_response_id bills the stored conversation', async () => {
    const first = await client.responses.create({
      model: 'mock-gpt',
      input: 'Weather in "Paris"? Use get_weather.',
      tools: [weather],
    });
    const call = first.output[0];
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '{"city":"Paris"}' });
    const second = await client.responses.create({
      model: 'mock-gpt',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: (call as { call_id: string }).call_id, output: 'Sunny' }],
      tools: [weather],
    });
    expect(second.output[0]).toMatchObject({ type: 'message' });
    expect(second.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens);
    const missing = await client.responses
      .create({ model: 'mock-gpt', previous_response_id: 'resp_nope', input: 'hi' })
      .catch((e) => e);
    expect(missing).toMatchObject({ status: 404, code: 'previous_response_not_found', param: 'previous_response_id' });
  });

  it('retrieves, lists the input of, cancels, counts for and deletes stored responses; store:false keeps nothing', async () => {
    const r = await client.responses.create({
      model: 'mock-gpt',
      input: [
        { role: 'user', content: 'one' },
        { role: 'user', content: 'two' },
      ],
    });
    expect((await client.responses.retrieve(r.id)).output).toEqual(r.output);
    const items = await client.responses.inputItems.list(r.id, { order: 'asc' });
    expect(items.data.map((i) => (i as { content: unknown }).content)).toEqual(['one', 'two']);
    expect((await client.responses.cancel(r.id)).status).toBe('cancelled');
    expect(
      (await client.responses.inputTokens.count({ model: 'mock-gpt', input: 'count me' })).input_tokens,
    ).toBeGreaterThan(0);
    await client.responses.delete(r.id);
    expect(await client.responses.retrieve(r.id).catch((e) => e.status)).toBe(404);
    const unstored = await client.responses.create({ model: 'mock-gpt', input: 'x', store: false });
    expect(await client.responses.retrieve(unstored.id).catch((e) => e.status)).toBe(404);
  });

  it('has no Responses API when chat-only', async () => {
    await upstream.close();
    upstream = await startMockUpstream({ chatOnly: true });
    const res = await fetch(`${upstream.url}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock-gpt', input: 'hi' }),
    });
    expect(res.status).toBe(404);
  });
});
