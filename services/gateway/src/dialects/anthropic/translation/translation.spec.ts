import { mockChatChunks } from '@sluice/mock-llm';
import { ChatToMessagesStream } from './chat-stream';
import { chatRequest } from './to-chat';

const route = { providerType: 'openai' as const, upstreamModel: 'gpt-4o' };
const translated = (body: Record<string, unknown>) =>
  chatRequest({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...body }, route);

describe('a Messages body as chat completions', () => {
  it('maps a Claude Code turn: system blocks, a system-role turn mid-conversation, tools, tool results before the user’s text, thinking left behind', () => {
    const result = translated({
      system: [
        { type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'CWD: /tmp' },
      ],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'run ls', cache_control: { type: 'ephemeral' } }] },
        { role: 'system', content: 'Mid-conversation reminder.' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'I will run it.', signature: 'sig' },
            { type: 'text', text: 'Running.' },
            { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { cmd: 'ls' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'and then?' },
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'a.txt' }] },
          ],
        },
      ],
      tools: [
        {
          name: 'Bash',
          description: 'Run a command',
          input_schema: { type: 'object' },
          cache_control: { type: 'ephemeral' },
        },
      ],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      thinking: { type: 'adaptive', display: 'omitted' },
      output_config: { effort: 'medium' },
      context_management: { edits: [] },
      metadata: { user_id: '{"session_id":"s"}' },
      stop_sequences: ['END'],
      stream: true,
    });
    expect(result).toEqual({
      ok: true,
      body: {
        model: 'gpt-4o',
        max_completion_tokens: 100,
        stream: true,
        stop: ['END'],
        user: '{"session_id":"s"}',
        messages: [
          { role: 'system', content: 'You are Claude Code.\nCWD: /tmp' },
          { role: 'user', content: [{ type: 'text', text: 'run ls' }] },
          { role: 'system', content: 'Mid-conversation reminder.' },
          {
            role: 'assistant',
            content: 'Running.',
            tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'Bash', arguments: '{"cmd":"ls"}' } }],
          },
          { role: 'tool', tool_call_id: 'toolu_1', content: 'a.txt' },
          { role: 'user', content: [{ type: 'text', text: 'and then?' }] },
        ],
        tools: [
          {
            type: 'function',
            function: { name: 'Bash', description: 'Run a command', parameters: { type: 'object' } },
          },
        ],
        tool_choice: 'auto',
        parallel_tool_calls: false,
      },
    });
  });

  it('maps images, PDFs and plain-text documents, a forced tool and a JSON schema output; max_tokens by the provider’s name for it', () => {
    const result = chatRequest(
      {
        model: 'm',
        max_tokens: 50,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
              {
                type: 'document',
                title: 'spec',
                source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' },
              },
              { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain words' } },
            ],
          },
        ],
        tools: [{ name: 'lookup', input_schema: { type: 'object' } }],
        tool_choice: { type: 'tool', name: 'lookup' },
        output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
      },
      { providerType: 'openai-compatible', upstreamModel: 'llama' },
    );
    expect(result).toMatchObject({
      ok: true,
      body: {
        max_tokens: 50,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } },
              { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
              { type: 'file', file: { filename: 'spec.pdf', file_data: 'data:application/pdf;base64,JVBER' } },
              { type: 'text', text: 'plain words' },
            ],
          },
        ],
        tool_choice: { type: 'function', function: { name: 'lookup' } },
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'output', schema: { type: 'object' }, strict: true },
        },
      },
    });
  });

  it('refuses what chat cannot say, naming the field: top_k, server tools, an image in a tool result, a file source, a new field', () => {
    const param = (body: Record<string, unknown>) => {
      const r = translated(body);
      return r.ok ? null : [r.error.status, r.error.param, r.error.message.split(':')[0]];
    };
    expect(param({ top_k: 5 })).toEqual([400, 'top_k', 'top_k']);
    expect(param({ tools: [{ type: 'web_search_20250305', name: 'web_search' }] })).toEqual([
      400,
      'tools.0.type',
      'tools.0.type',
    ]);
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'x' } };
    expect(
      param({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [image] }] }] }),
    ).toEqual([400, 'messages.0.content.0.content.0.type', 'messages.0.content.0.content.0.type']);
    expect(
      param({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }] }),
    ).toEqual([400, 'messages.0.content.0.source.type', 'messages.0.content.0.source.type']);
    expect(param({ container: 'c1' })).toEqual([400, 'container', 'container']);
    expect(param({ output_config: { format: { type: 'xml' } } })).toEqual([
      400,
      'output_config.format.type',
      'output_config.format.type',
    ]);
  });
});

describe('a chat completion stream as Anthropic’s events', () => {
  const sse = (chunks: unknown[]) =>
    Buffer.from(`${chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('')}data: [DONE]\n\n`);
  const eventsOf = (bytes: Buffer) =>
    [...bytes.toString().matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((m) => JSON.parse(m[2]));
  const tools = [{ type: 'function', function: { name: 'lookup', parameters: {} } }];

  it('streams text as it arrives, then ends with the stop reason and the billed usage once the call is finished', () => {
    const stream = new ChatToMessagesStream('msg_1', 'claude-ish');
    const chunks = mockChatChunks({
      model: 'gpt',
      messages: [{ role: 'user', content: 'Hello' }],
      stream_options: { include_usage: true },
    });
    const live = eventsOf(
      Buffer.concat([
        stream.push(sse(chunks).subarray(0, 100)) ?? Buffer.alloc(0),
        stream.push(sse(chunks).subarray(100)) ?? Buffer.alloc(0),
      ]),
    );
    expect(live[0]).toMatchObject({
      type: 'message_start',
      message: { id: 'msg_1', model: 'claude-ish', role: 'assistant', content: [] },
    });
    expect(live[1]).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    expect(
      live
        .filter((e) => e.type === 'content_block_delta')
        .map((e) => e.delta.text)
        .join(''),
    ).toContain('Hello');
    expect(live.at(-1)).toEqual({ type: 'content_block_stop', index: 0 });
    expect(stream.usage).toMatchObject({ prompt_tokens: expect.any(Number) });
    const ending = eventsOf(
      stream.ending(false, { inputTokens: 30, cachedInputTokens: 10, outputTokens: 7, reasoningTokens: 0 }, ''),
    );
    expect(ending).toEqual([
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { input_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 10, output_tokens: 7 },
      },
      { type: 'message_stop' },
    ]);
  });

  it('streams a tool call as a tool_use block with its arguments as input_json_delta', () => {
    const stream = new ChatToMessagesStream('msg_2', 'm');
    const events = eventsOf(
      stream.push(
        sse(mockChatChunks({ model: 'gpt', messages: [{ role: 'user', content: 'Please use the tool' }], tools })),
      )!,
    );
    const start = events.find((e) => e.type === 'content_block_start');
    expect(start).toMatchObject({ index: 0, content_block: { type: 'tool_use', name: 'lookup', input: {} } });
    expect(
      JSON.parse(
        events
          .filter((e) => e.delta?.type === 'input_json_delta')
          .map((e) => e.delta.partial_json)
          .join(''),
      ),
    ).toEqual({ query: 'Please use the tool' });
    expect(eventsOf(stream.ending(false, null, ''))[0]).toMatchObject({ delta: { stop_reason: 'tool_use' } });
  });

  it('ends a broken stream with the error event, after a message_start even when nothing came', () => {
    const stream = new ChatToMessagesStream('msg_3', 'm');
    const events = eventsOf(
      stream.ending(
        true,
        null,
        'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"broke"}}\n\n',
      ),
    );
    expect(events.map((e) => e.type)).toEqual(['message_start', 'error']);
  });
});
