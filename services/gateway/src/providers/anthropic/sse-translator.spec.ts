import { bufferWork, piecesOf } from '../../../test/buffer-work';
import { SseScanner } from '../../dialects/openai/sse-scanner';
import { SseEventTooLarge } from '../sse-event-bound';
import { AnthropicSseTranslator, translateStream } from './sse-translator';

const event = (data: Record<string, unknown>) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
const ANTHROPIC = [
  event({
    type: 'message_start',
    message: {
      id: 'msg_1',
      model: 'claude-up',
      content: [],
      usage: { input_tokens: 25, output_tokens: 1, cache_read_input_tokens: 5 },
    },
  }),
  event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  event({ type: 'ping' }),
  event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Héllo' } }),
  event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' wörld' } }),
  event({ type: 'content_block_stop', index: 0 }),
  event({
    type: 'content_block_start',
    index: 1,
    content_block: { type: 'tool_use', id: 'toolu_1', name: 'weather', input: {} },
  }),
  event({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } }),
  event({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"Oslo"}' } }),
  event({ type: 'content_block_stop', index: 1 }),
  event({
    type: 'message_delta',
    delta: { stop_reason: 'tool_use', stop_sequence: null },
    usage: { output_tokens: 12 },
  }),
  event({ type: 'message_stop' }),
].join('');

async function translate(pieces: Buffer[]): Promise<string[]> {
  const out: string[] = [];
  for await (const b of translateStream(pieces, 1_700_000_000)) out.push(b.toString('utf8'));
  return out;
}
const dataOf = (sse: string) =>
  sse
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6))
    .map((d) => (d === '[DONE]' ? d : JSON.parse(d)));

describe('Anthropic SSE as OpenAI chat.completion.chunk SSE', () => {
  it('translates role, text, tool call, finish reason and usage, then [DONE]', async () => {
    const events = dataOf((await translate([Buffer.from(ANTHROPIC)])).join(''));
    expect(events[0]).toEqual({
      id: 'msg_1',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'claude-up',
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    });
    expect(events.slice(1, 3).map((e) => e.choices[0].delta.content)).toEqual(['Héllo', ' wörld']);
    expect(events[3].choices[0].delta.tool_calls).toEqual([
      { index: 0, id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '' } },
    ]);
    expect(events.slice(4, 6).map((e) => e.choices[0].delta.tool_calls[0])).toEqual([
      { index: 0, function: { arguments: '{"city":' } },
      { index: 0, function: { arguments: '"Oslo"}' } },
    ]);
    expect(events[6].choices[0]).toMatchObject({ delta: {}, finish_reason: 'tool_calls' });
    expect(events[7]).toMatchObject({
      choices: [],
      usage: {
        prompt_tokens: 30,
        completion_tokens: 12,
        total_tokens: 42,
        prompt_tokens_details: { cached_tokens: 5 },
      },
    });
    expect(events[8]).toBe('[DONE]');
    expect(events).toHaveLength(9);
  });

  it('gives the same output whatever the chunk boundaries, even mid-event and mid-character', async () => {
    const bytes = Buffer.from(ANTHROPIC.replaceAll('\n', '\r\n'));
    const whole = (await translate([Buffer.from(ANTHROPIC)])).join('');
    for (const size of [1, 2, 3, 7, 64]) {
      const pieces: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
      expect((await translate(pieces)).join('')).toBe(whole);
    }
  });

  it('feeds the relay’s scanner the usage it bills, and lets it strip the usage chunk for a client that did not ask', async () => {
    const scanner = new SseScanner(false);
    let relayed = '';
    for (const b of await translate([Buffer.from(ANTHROPIC)]))
      relayed += scanner.push(Buffer.from(b))?.toString('utf8') ?? '';
    expect(scanner.usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 12 });
    expect(relayed).not.toContain('"usage"');
    // The translator ends with [DONE]; the scanner holds it back for the relay to send once the call is settled.
    expect((await translate([Buffer.from(ANTHROPIC)])).join('').endsWith('data: [DONE]\n\n')).toBe(true);
    expect(relayed).not.toContain('[DONE]');
  });

  it('ends as a failure on an error event, after passing on what came before, so the call is recorded as failed', async () => {
    const sse =
      ANTHROPIC.slice(0, ANTHROPIC.indexOf('event: content_block_stop')) +
      event({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const b of translateStream([Buffer.from(sse)], 0)) seen.push(b.toString());
    })().catch((e: Error) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain('Overloaded');
    expect(seen.join('')).toContain('wörld');
    expect(seen.join('')).not.toContain('[DONE]');
  });

  it('throws when the upstream ends before message_stop, as for a dropped connection', async () => {
    const cut = ANTHROPIC.slice(0, ANTHROPIC.indexOf('event: message_delta'));
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const b of translateStream([Buffer.from(cut)], 0)) seen.push(b.toString());
    })().catch((e) => e);
    expect(failure).toBeInstanceOf(Error);
    expect(seen.join('')).toContain('wörld');
  });

  it('reports the tokens Anthropic counted, cache writes included: message_start’s with no output while cut, the final usage after message_stop', () => {
    const written = ANTHROPIC.replace(
      '"cache_read_input_tokens":5',
      '"cache_read_input_tokens":5,"cache_creation_input_tokens":40',
    );
    const translator = new AnthropicSseTranslator(0);
    expect(translator.reportedTokens()).toBeNull();
    const cut = written.indexOf('event: message_delta');
    translator.push(Buffer.from(written.slice(0, cut)));
    expect(translator.reportedTokens()).toEqual({
      inputTokens: 70,
      cachedInputTokens: 5,
      cacheWriteInputTokens: 40,
      outputTokens: 0,
      reasoningTokens: 0,
    });
    translator.push(Buffer.from(written.slice(cut)));
    expect(translator.reportedTokens()).toEqual({
      inputTokens: 70,
      cachedInputTokens: 5,
      cacheWriteInputTokens: 40,
      outputTokens: 12,
      reasoningTokens: 0,
    });
  });

  it('fails the stream when an event grows past the bound without ending, instead of buffering it', async () => {
    const start = ANTHROPIC.slice(0, ANTHROPIC.indexOf('event: content_block_stop'));
    const endless = [
      Buffer.from(start),
      Buffer.from(
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"',
      ),
    ];
    for (let i = 0; i < 10; i++) endless.push(Buffer.from('z'.repeat(1024)));
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const b of translateStream(endless, 0, 4096)) seen.push(b.toString());
    })().catch((e) => e);
    expect(failure).toBeInstanceOf(SseEventTooLarge);
    expect(seen.join('')).toContain('wörld');
  });
  it('translates a large event arriving in small pieces in about the work of the event in one piece (each new byte searched once, joined once)', async () => {
    const text = 'x'.repeat(512 * 1024);
    const big = ANTHROPIC.replace('"text":"Héllo"', `"text":"${text}"`);
    for (const bytes of [Buffer.from(big), Buffer.from(big.replaceAll('\n', '\r\n'))]) {
      const translateIn = async (size: number) => {
        const out: string[] = [];
        const work = await bufferWork(async () => {
          for await (const b of translateStream(piecesOf(bytes, size), 1_700_000_000, 2 * bytes.length))
            out.push(b.toString('utf8'));
        });
        expect(dataOf(out.join(''))[1].choices[0].delta.content).toBe(text);
        return work;
      };
      // Re-joining and re-searching the held bytes on every piece made it ~size²/128: 700× the one piece's.
      expect(await translateIn(64)).toBeLessThan(2 * (await translateIn(bytes.length)));
    }
  });
});
