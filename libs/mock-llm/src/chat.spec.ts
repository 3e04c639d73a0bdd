import { mockChatChunks, mockChatCompletion } from './chat';
import { realTokens } from './real-tokens';
import { chatPromptTokens, countTokens } from './tokens';

const body = (extra: Record<string, unknown> = {}) => ({
  model: 'mock-gpt',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'What is a sluice?' },
  ],
  ...extra,
});

const contentOf = (chunks: ReturnType<typeof mockChatChunks>) =>
  chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');

describe('mockChatCompletion', () => {
  it('answers the last user message deterministically, with usage that adds up', () => {
    const a = mockChatCompletion(body(), { id: 'chatcmpl-1', created: 1 });
    const b = mockChatCompletion(body(), { id: 'chatcmpl-1', created: 1 });
    expect(a).toEqual(b);
    expect(a).toMatchObject({ id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'mock-gpt' });
    const text = a.choices[0].message.content!;
    expect(text).toContain('What is a sluice?');
    expect(a.choices[0].finish_reason).toBe('stop');
    expect(a.usage.completion_tokens).toBe(countTokens(text));
    // 3 to prime the reply, 4 per message, about one per four characters of content.
    expect(a.usage.prompt_tokens).toBe(3 + (4 + Math.ceil(14 / 4)) + (4 + Math.ceil(17 / 4)));
    expect(a.usage.total_tokens).toBe(a.usage.prompt_tokens + a.usage.completion_tokens);
  });

  it('gives a different reply to a different question', () => {
    const other = mockChatCompletion({ model: 'm', messages: [{ role: 'user', content: 'Something else entirely' }] });
    expect(other.choices[0].message.content).not.toBe(mockChatCompletion(body()).choices[0].message.content);
  });

  it('honours max_tokens and max_completion_tokens with finish_reason length', () => {
    for (const limit of [{ max_tokens: 3 }, { max_completion_tokens: 3 }]) {
      const c = mockChatCompletion(body(limit));
      expect(c.choices[0].finish_reason).toBe('length');
      expect(c.usage.completion_tokens).toBe(3);
      expect(c.choices[0].message.content).toHaveLength(12);
    }
  });

  it('makes the reply as long as asked', () => {
    const c = mockChatCompletion({ model: 'm', messages: [{ role: 'user', content: 'Please reply with 300 words.' }] });
    expect(c.choices[0].message.content!.split(' ').length).toBeGreaterThan(300);
  });

  it('reports reasoning tokens for reasoning models and cached tokens for long prompts with a cache key', () => {
    const reasoning = mockChatCompletion({ ...body(), model: 'o3-mini' });
    const visible = countTokens(reasoning.choices[0].message.content!);
    expect(reasoning.usage.completion_tokens_details!.reasoning_tokens).toBe(visible * 2);
    expect(reasoning.usage.completion_tokens).toBe(visible * 3);

    const messages = [{ role: 'user', content: 'x'.repeat(6000) }];
    expect(mockChatCompletion({ model: 'm', messages }).usage.prompt_tokens_details!.cached_tokens).toBe(0);
    const cached = mockChatCompletion({ model: 'm', messages, prompt_cache_key: 'k' }).usage;
    expect(cached.prompt_tokens).toBe(chatPromptTokens(messages));
    expect(cached.prompt_tokens_details!.cached_tokens).toBe(1408);
  });

  it('counts the text of content parts', () => {
    const parts = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'abcd' },
          { type: 'text', text: 'efgh' },
        ],
      },
    ];
    expect(chatPromptTokens(parts)).toBe(3 + 4 + 2);
  });
});

describe('mockChatChunks', () => {
  it('streams the same reply: role first, content in several pieces, then the finish reason', () => {
    const chunks = mockChatChunks(body(), { id: 'chatcmpl-1', created: 1 });
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '', refusal: null });
    expect(chunks.length).toBeGreaterThan(5);
    expect(contentOf(chunks)).toBe(mockChatCompletion(body()).choices[0].message.content);
    expect(chunks.at(-1)!.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === 'chatcmpl-1' && !('usage' in c))).toBe(
      true,
    );
  });

  it('adds a usage chunk with no choices, and usage: null elsewhere, only with include_usage', () => {
    const chunks = mockChatChunks(body({ stream: true, stream_options: { include_usage: true } }));
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(mockChatCompletion(body()).usage);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(
      mockChatChunks(body({ stream: true, stream_options: { include_usage: false } })).some((c) => 'usage' in c),
    ).toBe(false);
  });
});

describe('billing as a provider bills', () => {
  it('generates and bills n choices, the prompt once', () => {
    const one = mockChatCompletion(body());
    const eight = mockChatCompletion(body({ n: 8 }));
    expect(eight.choices.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(eight.choices[0].message.content).toBe(one.choices[0].message.content);
    expect(new Set(eight.choices.map((c) => c.message.content)).size).toBeGreaterThan(1);
    expect(eight.usage.prompt_tokens).toBe(one.usage.prompt_tokens);
    expect(eight.usage.completion_tokens).toBe(
      eight.choices.reduce((sum, c) => sum + countTokens(c.message.content!), 0),
    );
    const streamed = mockChatChunks(body({ n: 3, stream_options: { include_usage: true } }));
    expect(streamed.at(-1)!.usage!.completion_tokens).toBe(mockChatCompletion(body({ n: 3 })).usage.completion_tokens);
    expect(new Set(streamed.flatMap((c) => c.choices.map((ch) => ch.index)))).toEqual(new Set([0, 1, 2]));
  });

  it('bills tool and function definitions and response formats in the prompt', () => {
    const tools = [
      {
        type: 'function',
        function: { name: 'weather', description: 'w'.repeat(400), parameters: { type: 'object', properties: {} } },
      },
    ];
    const format = { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } };
    const base = mockChatCompletion(body()).usage.prompt_tokens;
    expect(mockChatCompletion(body({ tools })).usage.prompt_tokens).toBe(base + countTokens(JSON.stringify(tools)));
    expect(mockChatCompletion(body({ functions: [tools[0].function] })).usage.prompt_tokens).toBe(
      base + countTokens(JSON.stringify([tools[0].function])),
    );
    expect(mockChatCompletion(body({ response_format: format })).usage.prompt_tokens).toBe(
      base + countTokens(JSON.stringify(format)),
    );
  });

  it('with real tokens, counts with o200k and streams exactly one token per chunk', () => {
    const tokens = realTokens();
    const asked = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Reply with 50 numbers' }] };
    const reply = mockChatCompletion(asked, { tokens });
    const text = reply.choices[0].message.content!;
    expect(reply.usage.completion_tokens).toBe(tokens.count(text));
    expect(reply.usage.completion_tokens).toBeGreaterThan(countTokens(text)); // numbers split finer than four characters a token
    const pieces = mockChatChunks(asked, { tokens })
      .map((c) => c.choices[0]?.delta.content)
      .filter((p) => p);
    expect(pieces.join('')).toBe(text);
    expect(pieces.every((p) => tokens.count(p!) === 1)).toBe(true);
    expect(pieces).toHaveLength(reply.usage.completion_tokens);
    expect(mockChatCompletion({ ...asked, max_tokens: 7 }, { tokens }).usage.completion_tokens).toBe(7);
  });

  it('calls a tool when one is forced or the prompt says "use the tool", streams its arguments, and answers its result', () => {
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
    const asked = { model: 'mock-gpt', messages: [{ role: 'user', content: 'Please use the tool' }], tools };
    const call = mockChatCompletion(asked).choices[0];
    expect(call.finish_reason).toBe('tool_calls');
    expect(call.message.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^call_/),
        type: 'function',
        function: { name: 'lookup', arguments: '{"query":"Please use the tool"}' },
      },
    ]);
    expect(
      mockChatCompletion({ ...asked, messages: [{ role: 'user', content: 'hi' }], tool_choice: 'required' }).choices[0]
        .finish_reason,
    ).toBe('tool_calls');
    expect(mockChatCompletion({ ...asked, tool_choice: 'none' }).choices[0].finish_reason).toBe('stop');
    const streamed = mockChatChunks(asked).flatMap(
      (c) => (c.choices[0]?.delta.tool_calls ?? []) as { function: { arguments: string } }[],
    );
    expect(streamed.map((t) => t.function.arguments).join('')).toBe(call.message.tool_calls![0].function.arguments);
    const id = call.message.tool_calls![0].id;
    const answered = mockChatCompletion({
      ...asked,
      messages: [
        ...asked.messages,
        { role: 'assistant', content: null, tool_calls: call.message.tool_calls },
        { role: 'tool', tool_call_id: id, content: 'forty-two' },
      ],
    });
    expect(answered.choices[0].message.content).toContain('forty-two');
  });

  it('calls a function when the user asks for it, streams its arguments, and answers the tool result with text', () => {
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } },
        },
      },
    ];
    const ask = {
      model: 'mock-gpt',
      tools,
      messages: [{ role: 'user', content: 'Weather in "Paris"? Use get_weather.' }],
    };
    const reply = mockChatCompletion(ask);
    expect(reply.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: null,
        tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","days":1}' } }],
      },
    });
    const streamed = mockChatChunks(ask).flatMap(
      (c) => (c.choices[0]?.delta.tool_calls ?? []) as { function: { arguments: string } }[],
    );
    expect(streamed.map((t) => t.function.arguments).join('')).toBe('{"city":"Paris","days":1}');
    const after = mockChatCompletion({
      ...ask,
      messages: [...ask.messages, reply.choices[0].message, { role: 'tool', content: 'Sunny' }] as never,
    });
    expect(after.choices[0].finish_reason).toBe('stop');
    // Without the ask, no call: a prompt merely near a tool's name is answered with text.
    expect(
      mockChatCompletion({ ...ask, messages: [{ role: 'user', content: 'What is get_weather?' }] }).choices[0]
        .finish_reason,
    ).toBe('stop');
  });
});
