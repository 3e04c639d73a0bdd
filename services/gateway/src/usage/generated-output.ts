/** What an upstream generated, as far as the gateway saw it: enough to estimate output without usage. */
export interface GeneratedOutput {
  /** Characters of generated text (an escape counts as one). */
  chars: number;
  /** Streamed pieces that carried text: each at least one token. 0 for a JSON reply. */
  deltas: number;
  /** At least the UTF-8 bytes of the generated text: at least its tokens on a byte-level BPE tokenizer. */
  bytes: number;
  /** The text itself, one string per choice where known; read only when no usage came. */
  texts(): string[];
}

export const NOTHING_GENERATED: GeneratedOutput = Object.freeze({ chars: 0, deltas: 0, bytes: 0, texts: () => [] });
