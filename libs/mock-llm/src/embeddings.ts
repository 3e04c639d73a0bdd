import { fnv1a } from './reply';
import { inputTokens } from './tokens';
import type { EmbeddingsBody } from './types';

const DEFAULT_DIMENSIONS = 1536;
const MAX_DIMENSIONS = 8192;

/** The inputs of an embeddings request, one entry per vector to return. */
export function embeddingInputs(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return [];
  if (input.every((x) => typeof x === 'number')) return [input.join(',')];
  return input.map((x) => (typeof x === 'string' ? x : Array.isArray(x) ? x.join(',') : String(x)));
}

/** A unit vector that depends only on the text and the dimension count. */
export function mockVector(text: string, dimensions = DEFAULT_DIMENSIONS): Float32Array {
  const vector = new Float32Array(dimensions);
  let state = fnv1a(text) || 1;
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    // xorshift32: cheap, deterministic, good enough to spread values over [-1, 1).
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const value = (state >>> 0) / 0x80000000 - 1;
    vector[i] = value;
    norm += value * value;
  }
  const scale = 1 / Math.sqrt(norm || 1);
  for (let i = 0; i < dimensions; i++) vector[i] *= scale;
  return vector;
}

/** Float32 little-endian, base64: what the openai SDK asks for by default and decodes. */
export function toBase64(vector: Float32Array): string {
  const buf = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) buf.writeFloatLE(vector[i], i * 4);
  return buf.toString('base64');
}

/** An embeddings `list` with one deterministic vector per input, honouring `dimensions` and `encoding_format`. */
export function mockEmbeddings(body: EmbeddingsBody) {
  const dimensions =
    Number.isInteger(body.dimensions) && body.dimensions! > 0
      ? Math.min(body.dimensions!, MAX_DIMENSIONS)
      : DEFAULT_DIMENSIONS;
  const base64 = body.encoding_format === 'base64';
  const data = embeddingInputs(body.input).map((text, index) => {
    const vector = mockVector(text, dimensions);
    return { object: 'embedding' as const, index, embedding: base64 ? toBase64(vector) : Array.from(vector) };
  });
  const promptTokens = inputTokens(body.input);
  return {
    object: 'list' as const,
    data,
    model: body.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
