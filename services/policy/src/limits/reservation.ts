import { DEFAULT_RESERVED_OUTPUT_TOKENS } from '@sluice/contracts';

/**
 * The output tokens a call may produce at most, which its budget reservation covers: its own
 * `max_tokens` clamped to the model's maximum output, else the model's maximum, else a default.
 * An absurd `max_tokens` therefore reserves the model's cap, not the whole budget. Embeddings
 * produce no output tokens.
 */
export function reservedOutputTokens(operation: string, asked: number | null, modelCap: number | null): number {
  if (operation === 'embeddings') return 0;
  const cap = modelCap ?? DEFAULT_RESERVED_OUTPUT_TOKENS;
  return asked === null || asked <= 0 ? cap : Math.min(asked, cap);
}
