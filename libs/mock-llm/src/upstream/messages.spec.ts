import { mockAnthropicMessage } from '../anthropic';
import { startMockUpstream, type MockUpstream } from './server';

const KEY = 'sk-ant-mock';
const body = {
  model: 'claude-mock',
  max_tokens: 1024,
  system: 'Be terse.',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello upstream' }] }],
};

async function post(upstream: MockUpstream, payload: unknown, headers: Record<string, string> = {}) {
  return fetch(`${upstream.url}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify(payload),
  });
}

describe('the mock upstream’s Anthropic Messages endpoint', () => {
  let upstream: MockUpstream;
  beforeAll(async () => (upstream = await startMockUpstream({ anthropicApiKey: KEY })));
  afterAll(() => upstream.close());

  it('answers a message with usage and bills it by x-request-id', async () => {
    const res = await post(upstream, body, { 'x-request-id': 'm-1' });
    const json: any = await res.json();
    expect(json).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-mock',
      stop_reason: 'end_turn',
      content: mockAnthropicMessage(body).content,
    });
    expect(json.content[0].text).toContain('Hello upstream');
    expect(upstream.invoice.byRequest.get('m-1')).toMatchObject({
      path: '/v1/messages',
      promptTokens: json.usage.input_tokens,
      completionTokens: json.usage.output_tokens,
      completed: true,
    });
  });

  it('streams Anthropic’s events, from message_start to message_stop, with the output tokens in message_delta', async () => {
    const text = await (await post(upstream, { ...body, stream: true }, { 'x-request-id': 'm-2' })).text();
    const types = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(types[0]).toBe('message_start');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(text).not.toContain('[DONE]');
    const delta = JSON.parse(/data: (\{"type":"message_delta".*)/.exec(text)![1]);
    expect(delta.usage.output_tokens).toBe(upstream.invoice.byRequest.get('m-2')!.completionTokens);
  });

  it('refuses a wrong x-api-key, a missing anthropic-version and a missing max_tokens in Anthropic’s error shape', async () => {
    const denied = await post(upstream, body, { 'x-api-key': 'wrong' });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'invalid x-api-key' },
    });
    expect((await post(upstream, body, { 'anthropic-version': '' })).status).toBe(400);
    const { max_tokens: _, ...noMax } = body;
    expect(await (await post(upstream, noMax)).json()).toMatchObject({
      error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
    });
  });

  it('answers error-529 as overloaded_error', async () => {
    const res = await post(upstream, { ...body, model: 'error-529' });
    expect(res.status).toBe(529);
    expect(((await res.json()) as any).error.type).toBe('overloaded_error');
  });
});

describe('the mock upstream’s Messages events, cache and count_tokens', () => {
  let upstream: MockUpstream;
  beforeAll(async () => (upstream = await startMockUpstream({ anthropicApiKey: KEY })));
  afterAll(() => upstream.close());

  const events = (sse: string) => [...sse.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((m) => JSON.parse(m[2]));

  it('streams thinking with its signature_delta, a ping, a tool use as input_json_delta, and bills the thinking as output', async () => {
    const tools = [{ name: 'lookup', description: 'Look it up', input_schema: { type: 'object' } }];
    const sse = await (
      await post(
        upstream,
        {
          ...body,
          stream: true,
          tools,
          thinking: { type: 'enabled', budget_tokens: 500 },
          messages: [{ role: 'user', content: 'Please use the tool' }],
        },
        { 'x-request-id': 'm-think' },
      )
    ).text();
    const all = events(sse);
    const deltas = all.filter((e) => e.type === 'content_block_delta').map((e) => e.delta.type);
    expect(all[0].type).toBe('message_start');
    expect(new Set(deltas)).toEqual(new Set(['thinking_delta', 'signature_delta', 'input_json_delta']));
    expect(
      all.find((e) => e.type === 'content_block_start' && e.content_block.type === 'tool_use').content_block,
    ).toMatchObject({ name: 'lookup', input: {} });
    const json = all
      .filter((e) => e.delta?.type === 'input_json_delta')
      .map((e) => e.delta.partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ query: 'Please use the tool' });
    const delta = all.find((e) => e.type === 'message_delta');
    expect(delta.delta.stop_reason).toBe('tool_use');
    expect(delta.usage.output_tokens).toBe(upstream.invoice.byRequest.get('m-think')!.completionTokens);
    expect(all.at(-1).type).toBe('message_stop');
    const text = await (await post(upstream, { ...body, stream: true })).text();
    expect(events(text).some((e) => e.type === 'ping')).toBe(true);
  });

  it('answers a tool result in text, and refuses a thinking block sent back altered', async () => {
    const first: any = await (
      await post(upstream, {
        ...body,
        thinking: { type: 'enabled', budget_tokens: 500 },
        tools: [{ name: 'lookup', input_schema: {} }],
        tool_choice: { type: 'any' },
      })
    ).json();
    const [thinking, toolUse] = first.content;
    const turn = (block: unknown) => ({
      ...body,
      messages: [
        ...body.messages,
        { role: 'assistant', content: [block, toolUse] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: 'forty-two' }] },
      ],
    });
    const answered: any = await (await post(upstream, turn(thinking))).json();
    expect(answered.content.at(-1).text).toContain('forty-two');
    const altered = await post(upstream, turn({ ...thinking, thinking: `${thinking.thinking} ` }));
    expect(altered.status).toBe(400);
    expect(((await altered.json()) as any).error.message).toContain('Invalid `signature`');
  });

  it('writes a prompt to its cache at the first call and reads it at the next, as Anthropic reports them', async () => {
    const cached = {
      ...body,
      system: [
        { type: 'text', text: 'A long and stable system prompt. '.repeat(40), cache_control: { type: 'ephemeral' } },
      ],
    };
    const first: any = await (await post(upstream, cached, { 'x-request-id': 'm-cache-1' })).json();
    const second: any = await (await post(upstream, cached, { 'x-request-id': 'm-cache-2' })).json();
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(300);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(second.usage).toMatchObject({
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: first.usage.cache_creation_input_tokens,
      input_tokens: first.usage.input_tokens,
    });
    expect(upstream.invoice.byRequest.get('m-cache-2')).toMatchObject({
      cacheReadTokens: first.usage.cache_creation_input_tokens,
      promptTokens: first.usage.input_tokens + first.usage.cache_creation_input_tokens,
    });
  });

  it('counts a prompt’s tokens for free: what /v1/messages bills as input, cached or not', async () => {
    const before = upstream.invoice.calls;
    const res = await fetch(`${upstream.url}/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-mock', messages: body.messages, system: body.system }),
    });
    const counted: any = await res.json();
    const billed: any = await (await post(upstream, body)).json();
    expect(counted.input_tokens).toBe(
      billed.usage.input_tokens + billed.usage.cache_read_input_tokens + billed.usage.cache_creation_input_tokens,
    );
    expect(upstream.invoice.calls).toBe(before + 1);
    expect(upstream.invoice.countTokensCalls).toBe(1);
  });
});
