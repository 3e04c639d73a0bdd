import type { TokenCounter } from './tokens';

type Encoding = { encode(text: string): number[]; decode(tokens: number[]): string; countTokens(text: string): number };
let o200k: Encoding | undefined;
// Loaded on first use (about 0.4 s, 70 MB): only upstreams started with real tokens pay for it.
const encoding = (): Encoding => (o200k ??= require('gpt-tokenizer/cjs/encoding/o200k_base') as Encoding);

/**
 * OpenAI's o200k tokenizer (gpt-4o, gpt-4.1, gpt-5, o-series): counts as OpenAI bills, and splits
 * a reply into exactly one token per piece (a token that ends inside a multi-byte character is
 * kept with the next, so every piece is whole text).
 */
export function realTokens(): TokenCounter {
  return {
    count: (text) => encoding().countTokens(text),
    split(text) {
      const tokens = encoding().encode(text);
      const out: string[] = [];
      let pending: number[] = [];
      for (const token of tokens) {
        pending.push(token);
        const piece = encoding().decode(pending);
        if (piece.includes('\uFFFD')) continue;
        out.push(piece);
        pending = [];
      }
      if (pending.length > 0) out.push(encoding().decode(pending));
      return out;
    },
    truncate: (text, max) => encoding().decode(encoding().encode(text).slice(0, max)),
  };
}
