import { chatRequestOf } from './chat-request';

const weather = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } } },
  strict: true,
};

describe('a Responses body as a chat completions body', () => {
  it('puts instructions first, then the stored conversation, then this input; runs of function calls become one assistant turn', () => {
    const previous = [
      { id: 'msg_1', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather?' }] },
      {
        id: 'msg_2',
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Checking.', annotations: [] }],
      },
      { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { id: 'fc_2', type: 'function_call', call_id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
      { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'opaque' },
    ];
    const mapped = chatRequestOf(
      {
        model: 'm',
        instructions: 'Be terse.',
        input: [
          { type: 'function_call_output', call_id: 'call_1', output: 'Sunny' },
          { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'Rain' }] },
          { role: 'developer', content: 'Answer in French.' },
        ],
        tools: [weather],
        tool_choice: { type: 'function', name: 'get_weather' },
        max_output_tokens: 100,
        temperature: 0.2,
        store: true,
        metadata: { team: 'a' },
        text: { format: { type: 'json_schema', name: 'w', schema: { type: 'object' }, strict: true } },
      },
      previous,
    );
    expect(mapped).toEqual({
      ok: true,
      body: {
        model: 'm',
        temperature: 0.2,
        max_tokens: 100,
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
          {
            role: 'assistant',
            content: 'Checking.',
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: 'Sunny' },
          { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'Rain' }] },
          { role: 'system', content: 'Answer in French.' },
        ],
        tools: [
          {
            type: 'function',
            function: { name: 'get_weather', description: 'Weather', parameters: weather.parameters, strict: true },
          },
        ],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        response_format: { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'object' }, strict: true } },
      },
    });
  });

  it('maps images and files to chat parts', () => {
    const mapped = chatRequestOf(
      {
        model: 'm',
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_image', image_url: 'https://x/cat.png', detail: 'low' },
              { type: 'input_file', file_data: 'data:application/pdf;base64,AA', filename: 'a.pdf' },
            ],
          },
        ],
      },
      [],
    );
    expect(mapped).toMatchObject({
      ok: true,
      body: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: 'https://x/cat.png', detail: 'low' } },
              { type: 'file', file: { file_data: 'data:application/pdf;base64,AA', filename: 'a.pdf' } },
            ],
          },
        ],
      },
    });
  });

  it.each([
    ['a type Anthropic does not have', { type: 'persistent' }],
    ['a ttl Anthropic does not take', { type: 'ephemeral', ttl: '999d' }],
    ['fields Anthropic does not take', { type: 'ephemeral', extra: 'y'.repeat(10) }],
  ])('refuses a breakpoint with %s, naming the caller’s input field, whatever the upstream', (_what, cacheControl) => {
    const mapped = chatRequestOf(
      {
        model: 'm',
        instructions: 'Be brief.',
        input: [
          { role: 'user', content: [{ type: 'input_text', text: 'Hi', cache_control: { type: 'ephemeral' } }] },
          { role: 'user', content: [{ type: 'input_text', text: 'Hi', cache_control: cacheControl }] },
        ],
      },
      [],
    );
    expect(mapped).toMatchObject({
      ok: false,
      error: { status: 400, code: 'invalid_value', param: 'input[1].content[0].cache_control' },
    });
  });

  it('passes on a breakpoint in Anthropic’s shape only, rebuilt: a 1-hour one keeps its ttl', () => {
    const mapped = chatRequestOf(
      {
        model: 'm',
        input: [
          {
            role: 'user',
            content: [{ type: 'input_text', text: 'Hi', cache_control: { ttl: '1h', type: 'ephemeral' } }],
          },
        ],
      },
      [],
    );
    if (!mapped.ok) throw new Error(mapped.error.message);
    expect(mapped.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Hi', cache_control: { type: 'ephemeral', ttl: '1h' } }] },
    ]);
  });

  it('keeps a text part’s cache breakpoint, for a provider that caches on it (Anthropic), but not the stored conversation’s (Anthropic takes 4)', () => {
    const earlier = {
      id: 'msg_0',
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text: 'An earlier turn.', cache_control: { type: 'ephemeral' } }],
    };
    const mapped = chatRequestOf(
      {
        model: 'm',
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'A long document.', cache_control: { type: 'ephemeral' } },
              { type: 'input_text', text: 'Summarise it.' },
            ],
          },
        ],
      },
      [earlier],
    );
    expect(mapped).toMatchObject({
      ok: true,
      body: {
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'An earlier turn.' }] },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'A long document.', cache_control: { type: 'ephemeral' } },
              { type: 'text', text: 'Summarise it.' },
            ],
          },
        ],
      },
    });
    if (!mapped.ok) throw new Error(mapped.error.message);
    expect((mapped.body.messages as Record<string, unknown>[])[0]).toEqual({
      role: 'user',
      content: [{ type: 'text', text: 'An earlier turn.' }],
    });
  });

  it('accepts what Codex sends (its client metadata, a reasoning summary, encrypted reasoning in include)', () => {
    const codex = {
      model: 'm',
      input: [{ type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'You are Codex.' }] }],
      tools: [weather],
      tool_choice: 'auto',
      parallel_tool_calls: true,
      reasoning: { summary: 'auto' },
      store: false,
      stream: true,
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'p',
      client_metadata: { x: 'y' },
    };
    expect(chatRequestOf(codex, [])).toMatchObject({
      ok: true,
      body: {
        stream: true,
        parallel_tool_calls: true,
        prompt_cache_key: 'p',
        tool_choice: 'auto',
        messages: [{ role: 'system', content: [{ type: 'text', text: 'You are Codex.' }] }],
      },
    });
  });

  it.each([
    [{ tools: [{ type: 'web_search' }] }, 'tools[0].type'],
    [{ tool_choice: { type: 'web_search' } }, 'tool_choice'],
    [{ reasoning: { effort: 'high' } }, 'reasoning.effort'],
    [{ text: { verbosity: 'low' } }, 'text.verbosity'],
    [{ text: { format: { type: 'grammar' } } }, 'text.format.type'],
    [{ truncation: 'auto' }, 'truncation'],
    [{ include: ['message.output_text.logprobs'] }, 'include'],
    [{ top_logprobs: 3 }, 'top_logprobs'],
    [{ prompt: { id: 'pmpt_1' } }, 'prompt'],
    [{ input: [{ type: 'additional_tools', tools: [] }] }, 'input[0].type'],
    [{ input: [{ role: 'user', content: [{ type: 'input_audio' }] }] }, 'input[0].content[0].type'],
  ])('refuses %j with a 400 naming %s, never silently dropping it', (over, param) => {
    expect(chatRequestOf({ model: 'm', input: 'hi', ...over }, [])).toMatchObject({
      ok: false,
      error: { status: 400, code: 'unsupported_parameter', param },
    });
  });
});
