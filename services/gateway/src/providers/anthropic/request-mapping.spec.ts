import { resolveCredential } from '../../credentials/resolved-credential';
import type { UpstreamCall } from '../upstream';
import { anthropicUpstreamRequest } from './anthropic-provider';
import { anthropicRequest } from './request-mapping';

const map = (body: Record<string, unknown>, cap: number | null = null, stream = false) =>
  anthropicRequest(body, 'claude-up', cap, stream);
const mapped = (body: Record<string, unknown>, cap: number | null = null, stream = false) => {
  const r = map(body, cap, stream);
  if (!r.ok) throw new Error(r.error.message);
  return r.body;
};
const refused = (body: Record<string, unknown>) => {
  const r = map(body);
  if (r.ok) throw new Error('not refused');
  return r.error;
};
const user = (content: unknown) => ({ role: 'user', content });

describe('OpenAI chat bodies as Anthropic Messages bodies', () => {
  it('moves system and developer messages into system, and sends the route’s upstream model', () => {
    const body = mapped({
      model: 'claude-catalog',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'developer', content: [{ type: 'text', text: 'No lists.' }] },
        user('Hi'),
      ],
    });
    expect(body).toEqual({
      model: 'claude-up',
      system: 'Be terse.\n\nNo lists.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      max_tokens: 4096,
    });
  });

  it('merges consecutive messages of one role, as Anthropic wants the turns to alternate', () => {
    const body = mapped({
      messages: [
        user('a'),
        user([{ type: 'text', text: 'b' }]),
        { role: 'assistant', content: 'c' },
        { role: 'assistant', content: 'd' },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'c' },
          { type: 'text', text: 'd' },
        ],
      },
    ]);
  });

  it('sends the cap it is given (what policy reserved: the client’s, else the catalog’s), else 4096, never a client field beside it', () => {
    expect(mapped({ messages: [user('x')], max_completion_tokens: 50, max_tokens: 70 }, 70).max_tokens).toBe(70);
    expect(mapped({ messages: [user('x')], max_completion_tokens: 1 }, 1000).max_tokens).toBe(1000);
    expect(mapped({ messages: [user('x')] }).max_tokens).toBe(4096);
  });

  it('maps sampling, stop, user and stream', () => {
    const body = mapped(
      {
        messages: [user('x')],
        temperature: 0.2,
        top_p: 0.9,
        stop: 'END',
        user: 'u-1',
        stream: true,
        stream_options: { include_usage: true },
      },
      null,
      true,
    );
    expect(body).toMatchObject({
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ['END'],
      metadata: { user_id: 'u-1' },
      stream: true,
    });
    expect(mapped({ messages: [user('x')], stop: ['a', 'b'] }).stop_sequences).toEqual(['a', 'b']);
  });

  it('translates tools, tool calls and tool results', () => {
    const body = mapped({
      messages: [
        user('Weather in Oslo?'),
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '4°C' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'weather',
            description: 'Current weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      parallel_tool_calls: false,
    });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Oslo' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: '4°C' }] },
    ]);
    expect(body.tools).toEqual([
      {
        name: 'weather',
        description: 'Current weather',
        input_schema: { type: 'object', properties: { city: { type: 'string' } } },
      },
    ]);
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'weather', disable_parallel_tool_use: true });
    expect(mapped({ messages: [user('x')], tools: [], tool_choice: 'required' }).tool_choice).toEqual({ type: 'any' });
  });

  it('translates images given as data URLs or https URLs', () => {
    const body = mapped({
      messages: [
        user([
          { type: 'text', text: 'What is it?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0' } },
          { type: 'image_url', image_url: { url: 'https://x.test/a.jpg' } },
        ]),
      ],
    });
    expect((body.messages as { content: unknown[] }[])[0].content.slice(1)).toEqual([
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0' } },
      { type: 'image', source: { type: 'url', url: 'https://x.test/a.jpg' } },
    ]);
  });

  it('passes cache breakpoints on (system, user, image and tool-result parts), the system prompt as blocks when it has one', () => {
    const ephemeral = { type: 'ephemeral' };
    const body = mapped({
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'system', content: [{ type: 'text', text: 'Long rules.', cache_control: ephemeral }] },
        user([
          { type: 'text', text: 'Long document.', cache_control: { type: 'ephemeral', ttl: '1h' } },
          { type: 'image_url', image_url: { url: 'https://x.test/a.jpg' }, cache_control: ephemeral },
        ]),
        { role: 'assistant', tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 't1', content: [{ type: 'text', text: 'result', cache_control: ephemeral }] },
      ],
    });
    expect(body.system).toEqual([
      { type: 'text', text: 'Be terse.' },
      { type: 'text', text: 'Long rules.', cache_control: ephemeral },
    ]);
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Long document.', cache_control: { type: 'ephemeral', ttl: '1h' } },
          { type: 'image', source: { type: 'url', url: 'https://x.test/a.jpg' }, cache_control: ephemeral },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 't1', content: 'result', cache_control: ephemeral }],
      },
    ]);
  });

  it.each([
    ['persistent'],
    [{ type: 'persistent' }],
    [{ type: 'ephemeral', ttl: '1d' }],
    [{ type: 'ephemeral', x: 1 }],
  ])('refuses a cache_control Anthropic would not take (%j) with a 400 naming it', (cacheControl) => {
    expect(
      refused({
        messages: [
          user([
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b', cache_control: cacheControl },
          ]),
        ],
      }),
    ).toMatchObject({ status: 400, code: 'invalid_value', param: 'messages[0].content[1].cache_control' });
  });

  it('passes a tool’s cache breakpoint on to its Anthropic tool definition, and refuses one Anthropic would not take', () => {
    const weather = { type: 'function', function: { name: 'weather', parameters: { type: 'object' } } };
    const body = mapped({
      messages: [user('x')],
      tools: [weather, { ...weather, cache_control: { type: 'ephemeral', ttl: '1h' } }],
    });
    expect(body.tools).toEqual([
      { name: 'weather', input_schema: { type: 'object' } },
      { name: 'weather', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral', ttl: '1h' } },
    ]);
    expect(refused({ messages: [user('x')], tools: [{ ...weather, cache_control: { type: 'x' } }] })).toMatchObject({
      status: 400,
      code: 'invalid_value',
      param: 'tools[0].cache_control',
    });
  });

  it('refuses a message-level cache_control (Anthropic takes it on a part), naming it, never dropping it', () => {
    expect(
      refused({ messages: [user('a'), { role: 'user', content: 'Hi', cache_control: { type: 'ephemeral' } }] }),
    ).toMatchObject({ status: 400, code: 'unsupported_parameter', param: 'messages[1].cache_control' });
  });

  it('refuses what it cannot translate with a 400 naming the field, instead of dropping it', () => {
    expect(refused({ messages: [user('x')], n: 2 })).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      code: 'unsupported_parameter',
      param: 'n',
    });
    expect(refused({ messages: [user('x')], response_format: { type: 'json_object' } }).param).toBe('response_format');
    expect(refused({ messages: [user('x')], audio: { voice: 'alloy' } }).message).toContain("'audio'");
    expect(
      refused({ messages: [user([{ type: 'input_audio', input_audio: { data: '', format: 'wav' } }])] }).param,
    ).toBe('messages[0].content[0].type');
    expect(refused({ messages: [user('x')], tools: [{ type: 'custom', custom: { name: 'x' } }] }).param).toBe(
      'tools[0].type',
    );
    expect(refused({ messages: [{ role: 'function', name: 'f', content: 'x' }] }).param).toBe('messages[0].role');
  });

  it('accepts OpenAI fields at the values that change nothing', () => {
    expect(
      map({
        messages: [user('x')],
        n: 1,
        logprobs: false,
        frequency_penalty: 0,
        presence_penalty: 0,
        response_format: { type: 'text' },
        store: true,
        seed: null,
      }).ok,
    ).toBe(true);
  });
});

describe('the upstream request', () => {
  const credential = (baseUrl: string | null) =>
    resolveCredential({ providerId: 'p', type: 'anthropic', baseUrl, apiKey: 'sk-ant-secret', secretVersion: 1 })!;
  const call = (over: Partial<UpstreamCall> = {}): UpstreamCall => ({
    op: 'chat',
    body: { model: 'claude', messages: [user('hi')] },
    stream: false,
    requestId: 'req-1',
    route: {
      providerId: 'p',
      providerType: 'anthropic',
      baseUrl: null,
      upstreamModel: 'claude-up',
      maxOutputTokens: 2048,
    },
    ...over,
  });

  it('posts to api.anthropic.com/v1/messages with x-api-key and anthropic-version, never Authorization', () => {
    const built = anthropicUpstreamRequest(call(), credential(null));
    if (!built.ok) throw new Error('refused');
    expect(built.request.origin).toBe('https://api.anthropic.com');
    expect(built.request.path).toBe('/v1/messages');
    expect(built.request.headers).toMatchObject({
      'x-api-key': 'sk-ant-secret',
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
      'x-request-id': 'req-1',
    });
    expect(Object.keys(built.request.headers)).not.toContain('authorization');
    expect(JSON.parse(built.request.body)).toMatchObject({ model: 'claude-up', max_tokens: 2048 });
  });

  it('accepts a base URL with or without /v1', () => {
    for (const base of ['https://proxy.test/anthropic', 'https://proxy.test/anthropic/v1/']) {
      const built = anthropicUpstreamRequest(call(), credential(base));
      expect(built.ok && built.request.path).toBe('/anthropic/v1/messages');
    }
  });

  it('answers 400 for legacy completions and embeddings', () => {
    for (const op of ['completions', 'embeddings'] as const) {
      const built = anthropicUpstreamRequest(call({ op, body: { input: 'x' } }), credential(null));
      expect(!built.ok && built.error).toMatchObject({
        status: 400,
        type: 'invalid_request_error',
        code: 'unsupported_operation',
      });
      expect(!built.ok && built.error.message).toContain(`/v1/${op}`);
    }
  });
});
