import { estimatePromptTokens, promptTokens, tokensForChars, type CallEstimate, type Operation } from '@sluice/contracts';
import type { TokenCounts } from './token-counts';

// The prompt estimate is shared with the admin API's dry run (libs/contracts), so both agree.
export { estimatePromptTokens, tokensForChars };

/** An estimate for a call whose upstream said nothing about usage. */
export function estimateTokens(op: Operation, body: Record<string, unknown>, generatedChars: number): TokenCounts {
  return { inputTokens: estimatePromptTokens(op, body), cachedInputTokens: 0, outputTokens: tokensForChars(generatedChars), reasoningTokens: 0 };
}

/**
 * The usage to bill: the upstream's when it reported any, else the estimate. An upstream that
 * reports no output for a reply that produced content is not believed: content is never free.
 */
export function settleTokens(
  op: Operation,
  body: Record<string, unknown>,
  reported: TokenCounts | null,
  generatedChars: number,
): { tokens: TokenCounts; estimated: boolean } {
  if (reported && (reported.outputTokens > 0 || generatedChars === 0)) return { tokens: reported, estimated: false };
  const estimate = estimateTokens(op, body, generatedChars);
  if (!reported) return { tokens: estimate, estimated: true };
  return { tokens: { ...reported, outputTokens: estimate.outputTokens }, estimated: true };
}

/** What authorize needs to count and reserve the call: the prompt (estimate, bound, images), the output cap, the choices billed. */
export function callEstimate(op: Operation, body: Record<string, unknown>): CallEstimate {
  const prompt = promptTokens(op, body);
  const estimate: CallEstimate = { inputTokens: prompt.estimate, inputTokensBound: prompt.bound, maxOutputTokens: maxOutputTokensOf(body), choices: choicesOf(op, body) };
  if (prompt.images) estimate.images = prompt.images;
  return estimate;
}

/** Completions the upstream generates and bills: `best_of` (completions; at least `n`), else `n`; the edge checked both. */
export function choicesOf(op: Operation, body: Record<string, unknown>): number {
  if (op === 'embeddings') return 1;
  const n = typeof body.n === 'number' ? body.n : 1;
  return op === 'completions' && typeof body.best_of === 'number' ? Math.max(n, body.best_of) : n;
}

/** The caller's cap on output tokens (`max_completion_tokens`, else `max_tokens`); null when it set none. */
export function maxOutputTokensOf(body: Record<string, unknown>): number | null {
  for (const field of ['max_completion_tokens', 'max_tokens']) {
    const value = body[field];
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.ceil(value);
  }
  return null;
}
