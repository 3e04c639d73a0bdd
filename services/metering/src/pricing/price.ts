export interface Price {
  inputUsdPerMTok: number;
  outputUsdPerMTok: number;
  cachedInputUsdPerMTok: number | null;
}

export interface TokenCounts {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

/**
 * Cost of one call in USD. Cached input tokens are part of the input tokens (OpenAI's
 * convention) and are charged at the cached rate when the catalog has one; reasoning tokens are
 * part of the output tokens and charged as output.
 */
export function costOf(tokens: TokenCounts, price: Price): number {
  const cached = Math.min(tokens.cachedInputTokens, tokens.inputTokens);
  const cachedRate = price.cachedInputUsdPerMTok ?? price.inputUsdPerMTok;
  const micro = (tokens.inputTokens - cached) * price.inputUsdPerMTok + cached * cachedRate + tokens.outputTokens * price.outputUsdPerMTok;
  return micro / 1_000_000;
}
