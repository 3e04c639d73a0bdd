/** A model's catalog price in USD per million tokens. */
export interface ModelPrice {
  inputUsdPerMTok: number;
  outputUsdPerMTok: number;
  cachedInputUsdPerMTok: number | null;
}

export interface BillableTokens {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

/**
 * Cost of one call in USD. Cached input tokens are part of the input tokens (OpenAI's
 * convention) and are charged at the cached rate when the catalog has one; reasoning tokens are
 * part of the output tokens and charged as output. The gateway's `x-sluice-cost-usd` and
 * metering's record both use this, so the header and the record agree.
 */
export function costOf(tokens: BillableTokens, price: ModelPrice): number {
  const cached = Math.min(tokens.cachedInputTokens, tokens.inputTokens);
  const cachedRate = price.cachedInputUsdPerMTok ?? price.inputUsdPerMTok;
  const micro = (tokens.inputTokens - cached) * price.inputUsdPerMTok + cached * cachedRate + tokens.outputTokens * price.outputUsdPerMTok;
  return micro / 1_000_000;
}

/** USD as stored (10 decimals, as numeric(20,10)), without exponent or trailing zeros. */
export function formatUsd(usd: number): string {
  const fixed = usd.toFixed(10);
  return fixed.replace(/\.?0+$/, '') || '0';
}
