import { nanosOfUsd } from './money';

/** A model's catalog price in integer nano-dollars per million tokens. */
export interface ModelPrice {
  inputNanosPerMTok: number;
  outputNanosPerMTok: number;
  cachedInputNanosPerMTok: number | null;
}

/** The catalog price as an admin wrote it (USD per million tokens), as `ModelAdded` carries it. */
export interface CatalogPriceUsd {
  inputUsdPerMTok: number;
  outputUsdPerMTok: number;
  cachedInputUsdPerMTok: number | null;
}

/** The catalog's USD prices in nano-dollars: exact for what the admin API accepts (at most nine decimals). */
export function modelPrice(usd: CatalogPriceUsd): ModelPrice {
  return {
    inputNanosPerMTok: nanosOfUsd(usd.inputUsdPerMTok),
    outputNanosPerMTok: nanosOfUsd(usd.outputUsdPerMTok),
    cachedInputNanosPerMTok: usd.cachedInputUsdPerMTok === null ? null : nanosOfUsd(usd.cachedInputUsdPerMTok),
  };
}

export interface BillableTokens {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

const PER_MTOK = 1_000_000;
const PER_MTOK_BIG = 1_000_000n;
const MAX = Number.MAX_SAFE_INTEGER;

/**
 * Cost of one call in nano-dollars, computed once per call with exact integer arithmetic and
 * rounded UP to the nano-dollar, so it is never below the provider's invoice. Cached input tokens
 * are part of the input tokens (OpenAI's convention) and are charged at the cached rate when the
 * catalog has one; reasoning tokens are part of the output tokens and charged as output.
 */
export function costNanosOf(tokens: BillableTokens, price: ModelPrice): number {
  const cached = Math.min(tokens.cachedInputTokens, tokens.inputTokens);
  const cachedRate = price.cachedInputNanosPerMTok ?? price.inputNanosPerMTok;
  const a = (tokens.inputTokens - cached) * price.inputNanosPerMTok;
  const b = cached * cachedRate;
  const c = tokens.outputTokens * price.outputNanosPerMTok;
  const sum = a + b + c;
  // Products and sums of integers are exact while they stay below 2^53; past that, BigInt.
  if (a > MAX || b > MAX || c > MAX || sum > MAX) return bigCost(tokens.inputTokens - cached, cached, tokens.outputTokens, price.inputNanosPerMTok, cachedRate, price.outputNanosPerMTok);
  const whole = Math.floor(sum / PER_MTOK);
  const rest = sum - whole * PER_MTOK;
  // The float quotient may round up onto the next whole number (then the remainder is negative
  // and that whole number is the ceiling); it never rounds below the true quotient.
  return rest > 0 ? whole + 1 : whole;
}

function bigCost(input: number, cached: number, output: number, inRate: number, cachedRate: number, outRate: number): number {
  const sum = BigInt(input) * BigInt(inRate) + BigInt(cached) * BigInt(cachedRate) + BigInt(output) * BigInt(outRate);
  const cost = (sum + PER_MTOK_BIG - 1n) / PER_MTOK_BIG;
  return cost > BigInt(MAX) ? MAX : Number(cost);
}

/** A price read from a ticket or spool file written before prices were in nano-dollars, upcast. */
export function upcastPrice(price: ModelPrice | CatalogPriceUsd): ModelPrice {
  return 'inputNanosPerMTok' in price ? price : modelPrice(price);
}
