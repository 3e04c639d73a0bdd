import { estimatePromptTokens, tokensForChars, type Operation } from '@sluice/contracts';
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

/** The caller's cap on output tokens (`max_completion_tokens`, else `max_tokens`); null when it set none. */
export function maxOutputTokensOf(body: Record<string, unknown>): number | null {
  for (const field of ['max_completion_tokens', 'max_tokens']) {
    const value = body[field];
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.ceil(value);
  }
  return null;
}
