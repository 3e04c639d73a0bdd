import { mockChatChunks } from '@sluice/mock-llm';
import { StreamBridge } from './stream-bridge';

const sse = (chunks: unknown[]) =>
  Buffer.from(`${chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('')}data: [DONE]\n\n`);
const events = (text: string) =>
  text
    .split('\n\n')
    .filter(Boolean)
    .map((e) => JSON.parse(e.split('\n')[1].slice(6)) as Record<string, any>);
const shell = { id: 'resp_1', object: 'response', status: 'in_progress', output: [] };
const weather = [
  {
    type: 'function',
    function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
  },
];

/** Feeds the bytes in small pieces, as a network delivers them, and ends the stream as the gateway does. */
function run(bytes: Buffer, piece = 7) {
  const bridge = new StreamBridge(shell);
  let out = '';
  for (let i = 0; i < bytes.length; i += piece) out += bridge.push(bytes.subarray(i, i + piece)) ?? '';
  out += bridge.flush() ?? '';
  out += bridge.final('response.completed', { ...shell, status: 'completed', output: bridge.output });
  return { bridge, all: events(out), text: out };
}

describe('a chat stream as Responses events', () => {
  it('builds a text answer as OpenAI streams one, with sequence numbers from 0 and `event:` lines', () => {
    const chunks = mockChatChunks({
      model: 'm',
      messages: [{ role: 'user', content: 'Hello' }],
      stream_options: { include_usage: true },
    });
    const { bridge, all, text } = run(sse(chunks));
    expect(all.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...chunks.filter((c) => c.choices[0]?.delta.content).map(() => 'response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(all.map((e) => e.sequence_number)).toEqual(all.map((_, i) => i));
    expect(text.startsWith('event: response.created\ndata: ')).toBe(true);
    const reply = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(all.find((e) => e.type === 'response.output_text.done')!.text).toBe(reply);
    expect(bridge.output).toEqual([
      expect.objectContaining({
        type: 'message',
        status: 'completed',
        content: [expect.objectContaining({ type: 'output_text', text: reply })],
      }),
    ]);
    expect(bridge.usage).toMatchObject({ prompt_tokens: expect.any(Number) });
    expect(bridge.generated).toMatchObject({ chars: reply.length });
  });

  it('streams a function call as an item with argument deltas', () => {
    const chunks = mockChatChunks({
      model: 'm',
      tools: weather,
      messages: [{ role: 'user', content: 'Weather in "Paris"? Use get_weather.' }],
    });
    const { bridge, all } = run(sse(chunks), 5);
    expect(all.map((e) => e.type).filter((t) => !t.endsWith('.delta'))).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const args = all
      .filter((e) => e.type === 'response.function_call_arguments.delta')
      .map((e) => e.delta)
      .join('');
    expect(args).toBe('{"city":"Paris"}');
    expect(bridge.output).toEqual([
      expect.objectContaining({
        type: 'function_call',
        call_id: 'call_mock0',
        name: 'get_weather',
        arguments: args,
        status: 'completed',
      }),
    ]);
    expect(bridge.finishReason).toBe('tool_calls');
  });

  it('starts with response.created even when the upstream sent nothing, so the client still sees a whole stream', () => {
    const bridge = new StreamBridge(shell);
    expect(bridge.flush()).toBeNull();
    expect(events(bridge.final('response.failed', { ...shell, status: 'failed' })).map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.failed',
    ]);
  });
});
