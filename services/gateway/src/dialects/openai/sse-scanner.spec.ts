import { mockChatChunks } from '@sluice/mock-llm';
import { bufferWork, piecesOf } from '../../../test/buffer-work';
import { SseScanner } from './sse-scanner';

const body = { model: 'm', messages: [{ role: 'user', content: 'Tell me about "quotes" and ünïcode' }] };
const upstreamSse = (includeUsage = true) => {
  const chunks = mockChatChunks(
    { ...body, stream_options: { include_usage: includeUsage } },
    { id: 'chatcmpl-1', created: 1 },
  );
  return `${chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('')}data: [DONE]\n\n`;
};

/** Feeds the bytes in pieces of `size`, as TCP might deliver them, and collects what is forwarded. */
function run(scanner: SseScanner, sse: string, size: number): string {
  const bytes = Buffer.from(sse);
  let out = '';
  for (let i = 0; i < bytes.length; i += size) out += scanner.push(bytes.subarray(i, i + size))?.toString() ?? '';
  return out + (scanner.flush()?.toString() ?? '');
}

const events = (sse: string) => sse.split('\n\n').filter(Boolean);
/** The relay, not the scanner, ends a stream with [DONE]: after the call is settled. */
const withoutDone = (sse: string) => sse.replace(/data: \[DONE\]\n\n$/, '');
const reply = () =>
  mockChatChunks(body)
    .map((c) => c.choices[0]?.delta.content ?? '')
    .join('');

describe('SseScanner', () => {
  it('forwards the upstream bytes unchanged but its [DONE], and reads usage when the client asked for it', () => {
    for (const size of [1, 7, 64, 100_000]) {
      const scanner = new SseScanner(true);
      expect(run(scanner, upstreamSse(), size)).toBe(withoutDone(upstreamSse()));
      expect(scanner.usage).toEqual(mockChatChunks({ ...body, stream_options: { include_usage: true } }).at(-1)!.usage);
    }
  });

  it('strips the usage chunk and the usage:null fields when the client did not ask, yet still reads usage', () => {
    for (const size of [3, 50, 100_000]) {
      const scanner = new SseScanner(false);
      const out = run(scanner, upstreamSse(), size);
      expect(out).toBe(withoutDone(upstreamSse(false)));
      expect(out).not.toContain('usage');
      expect((scanner.usage as { completion_tokens: number }).completion_tokens).toBeGreaterThan(0);
      expect(events(out).at(-1)).not.toContain('[DONE]');
    }
  });

  it('counts generated characters, escapes and multi-byte letters as one each', () => {
    const scanner = new SseScanner(false);
    run(scanner, upstreamSse(), 5);
    expect(scanner.generated.chars).toBe(reply().length);
  });

  it('counts tool-call arguments and legacy completion text', () => {
    const scanner = new SseScanner(false);
    run(
      scanner,
      'data: {"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"{\\"a\\":1}"}}]}}]}\n\n' +
        'data: {"choices":[{"text":"abc","index":0}]}\n\n',
      4,
    );
    expect(scanner.generated.chars).toBe('{"a":1}'.length + 3);
  });

  it('handles CRLF framing, comments and a last event without its blank line', () => {
    const scanner = new SseScanner(false);
    const sse =
      ': keep-alive\r\n\r\ndata: {"choices":[{"delta":{"content":"hi"}}]}\r\n\r\ndata: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}\r\n\r\ndata: {"choices":[{"delta":{"content":"!"}}]}';
    const out = run(scanner, sse, 6);
    expect(out).toBe(
      ': keep-alive\r\n\r\ndata: {"choices":[{"delta":{"content":"hi"}}]}\r\n\r\ndata: {"choices":[{"delta":{"content":"!"}}]}\r\n\r\n',
    );
    expect(scanner.usage).toEqual({ prompt_tokens: 3, completion_tokens: 1 });
    expect(scanner.generated.chars).toBe(3);
  });

  it('keeps usage that rides on a content chunk (some servers do that) and passes error events through', () => {
    const scanner = new SseScanner(false);
    const sse =
      'data: {"choices":[{"delta":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\ndata: {"error":{"message":"boom"}}\n\n';
    expect(run(scanner, sse, 1000)).toBe(sse);
    expect(scanner.usage).toEqual({ prompt_tokens: 1, completion_tokens: 1 });
  });

  it('returns the same buffer when nothing is cut, so bytes pass through without a copy', () => {
    const scanner = new SseScanner(true);
    const chunk = Buffer.from('data: {"choices":[{"delta":{"content":"x"}}]}\n\n');
    expect(scanner.push(chunk)).toBe(chunk);
  });
  it('frames a large event arriving in small pieces in about the work of the event in one piece (each new byte searched once, joined once)', async () => {
    const text = 'x'.repeat(512 * 1024);
    const sse = `data: {"choices":[{"delta":{"content":"${text}"}}]}\n\ndata: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":9}}\n\n`;
    for (const bytes of [Buffer.from(sse), Buffer.from(sse.replaceAll('\n', '\r\n'))]) {
      const scanIn = async (size: number) => {
        const scanner = new SseScanner(false, 2 * bytes.length);
        let out = 0;
        const work = await bufferWork(() => {
          for (const piece of piecesOf(bytes, size)) out += scanner.push(piece)?.length ?? 0;
        });
        expect([scanner.generated.chars, scanner.usage, out]).toEqual([
          text.length,
          { prompt_tokens: 1, completion_tokens: 9 },
          bytes.indexOf('data: {"choices":[]'),
        ]);
        return work;
      };
      // Re-joining and re-searching the held bytes on every piece made it ~size²/128: 700× the one piece's.
      expect(await scanIn(64)).toBeLessThan(2 * (await scanIn(bytes.length)));
    }
  });
});
