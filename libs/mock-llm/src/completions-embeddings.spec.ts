import { mockCompletion, mockCompletionChunks } from './completions';
import { mockEmbeddings, mockVector } from './embeddings';

describe('mockCompletion', () => {
  it('returns a text_completion whose streamed form carries the same text', () => {
    const body = { model: 'mock-instruct', prompt: 'Say hello', max_tokens: 50 };
    const c = mockCompletion(body);
    expect(c).toMatchObject({ object: 'text_completion', model: 'mock-instruct', usage: { prompt_tokens: 3 } });
    const chunks = mockCompletionChunks({ ...body, stream_options: { include_usage: true } });
    expect(chunks.map((x) => x.choices[0]?.text ?? '').join('')).toBe(c.choices[0].text);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: c.usage });
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('stop');
  });

  it('bills best_of completions and returns n of them, as OpenAI does', () => {
    const one = mockCompletion({ model: 'm', prompt: 'Say hello' });
    const best = mockCompletion({ model: 'm', prompt: 'Say hello', n: 2, best_of: 5 });
    expect(best.choices).toHaveLength(2);
    expect(best.usage.completion_tokens).toBeGreaterThanOrEqual(5 * one.usage.completion_tokens - 10);
    expect(best.usage.prompt_tokens).toBe(one.usage.prompt_tokens);
  });
});

describe('mockEmbeddings', () => {
  it('returns one deterministic unit vector per input, of the asked dimension', () => {
    const e = mockEmbeddings({
      model: 'mock-embedding',
      input: ['alpha', 'beta'],
      dimensions: 64,
      encoding_format: 'float',
    });
    expect(e.data).toHaveLength(2);
    const [a, b] = e.data.map((d) => d.embedding as number[]);
    expect(a).toHaveLength(64);
    expect(a).toEqual(Array.from(mockVector('alpha', 64)));
    expect(a).not.toEqual(b);
    expect(Math.sqrt(a.reduce((s, x) => s + x * x, 0))).toBeCloseTo(1, 5);
    expect(e.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
  });

  it('encodes base64 as little-endian float32, as the openai SDK decodes it', () => {
    const e = mockEmbeddings({ model: 'm', input: 'alpha', dimensions: 8, encoding_format: 'base64' });
    const buf = Buffer.from(e.data[0].embedding as string, 'base64');
    const decoded = Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4));
    expect(decoded).toEqual(Array.from(mockVector('alpha', 8)));
  });

  it('defaults to 1536 dimensions and accepts token arrays', () => {
    const e = mockEmbeddings({ model: 'm', input: [1, 2, 3] });
    expect(e.data).toHaveLength(1);
    expect(e.data[0].embedding).toHaveLength(1536);
    expect(e.usage.prompt_tokens).toBe(3);
  });
});
