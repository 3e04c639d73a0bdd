import { nanosOfUsd } from './money';

/** A model's catalog price in integer nano-dollars per million tokens. */
export interface ModelPrice {
  inputNanosPerMTok: number;
  outputNanosPerMTok: number;
  cachedInputNanosPerMTok: number | null;
  /**
   * Input written to a provider's prompt cache for its default lifetime (Anthropic's 5-minute
   * writes); absent or null: the input price. A model with a cache-write price may also be sent
   * 1-hour writes, billed at `ONE_HOUR_WRITE_MULTIPLIER` × input.
   */
  cacheWriteNanosPerMTok?: number | null;
}

/**
 * Anthropic bills a 1-hour cache write (`cache_control.ttl: "1h"`) at twice the input price, the 5-minute one at the
 * catalog's cache-write price.
 */
export const ONE_HOUR_WRITE_MULTIPLIER = 2;

/** The catalog price as an admin wrote it (USD per million tokens), as `ModelAdded` carries it. */
export interface CatalogPriceUsd {
  inputUsdPerMTok: number;
  outputUsdPerMTok: number;
  cachedInputUsdPerMTok: number | null;
  cacheWriteUsdPerMTok?: number | null;
}

/** The catalog's USD prices in nano-dollars: exact for what the admin API accepts (at most nine decimals). */
export function modelPrice(usd: CatalogPriceUsd): ModelPrice {
  return {
    inputNanosPerMTok: nanosOfUsd(usd.inputUsdPerMTok),
    outputNanosPerMTok: nanosOfUsd(usd.outputUsdPerMTok),
    cachedInputNanosPerMTok: usd.cachedInputUsdPerMTok === null ? null : nanosOfUsd(usd.cachedInputUsdPerMTok),
    ...(usd.cacheWriteUsdPerMTok == null ? {} : { cacheWriteNanosPerMTok: nanosOfUsd(usd.cacheWriteUsdPerMTok) }),
  };
}

export interface BillableTokens {
  inputTokens: number;
  cachedInputTokens: number;
  /** Part of `inputTokens`, like `cachedInputTokens`: written to the provider's prompt cache. */
  cacheWriteInputTokens?: number;
  /** Part of `cacheWriteInputTokens`: written for an hour (Anthropic's `ephemeral_1h_input_tokens`). */
  cacheWrite1hInputTokens?: number;
  outputTokens: number;
}

const PER_MTOK = 1_000_000;
const PER_MTOK_BIG = 1_000_000n;
const MAX = Number.MAX_SAFE_INTEGER;

/**
 * Cost of one call in nano-dollars, computed once per call with exact integer arithmetic and
 * rounded UP to the nano-dollar, so it is never below the provider's invoice. Cached input tokens
 * and cache-write tokens are part of the input tokens (OpenAI's convention; Anthropic reports them
 * apart and the gateway adds them in) and are charged at the cached and cache-write rates when the
 * catalog has them; reasoning tokens are part of the output tokens and charged as output.
 */
export function costNanosOf(tokens: BillableTokens, price: ModelPrice): number {
  const cached = Math.min(tokens.cachedInputTokens, tokens.inputTokens);
  const written = Math.min(tokens.cacheWriteInputTokens ?? 0, tokens.inputTokens - cached);
  const hour = Math.min(tokens.cacheWrite1hInputTokens ?? 0, written);
  const cachedRate = price.cachedInputNanosPerMTok ?? price.inputNanosPerMTok;
  const writeRate = price.cacheWriteNanosPerMTok ?? price.inputNanosPerMTok;
  const hourRate = oneHourWriteRate(price);
  const plain = tokens.inputTokens - cached - written;
  const a = plain * price.inputNanosPerMTok;
  const b = cached * cachedRate;
  const w = (written - hour) * writeRate;
  const h = hour * hourRate;
  const c = tokens.outputTokens * price.outputNanosPerMTok;
  const sum = a + b + w + h + c;
  // Products and sums of integers are exact while they stay below 2^53; past that, BigInt.
  if (a > MAX || b > MAX || w > MAX || h > MAX || c > MAX || sum > MAX) {
    return bigCost(
      [plain, price.inputNanosPerMTok],
      [cached, cachedRate],
      [written - hour, writeRate],
      [hour, hourRate],
      [tokens.outputTokens, price.outputNanosPerMTok],
    );
  }
  const whole = Math.floor(sum / PER_MTOK);
  const rest = sum - whole * PER_MTOK;
  // The float quotient may round up onto the next whole number (then the remainder is negative
  // and that whole number is the ceiling); it never rounds below the true quotient.
  return rest > 0 ? whole + 1 : whole;
}

/** A 1-hour write's rate: twice the input price, never below the 5-minute write's. */
const oneHourWriteRate = (price: ModelPrice): number =>
  Math.max(price.inputNanosPerMTok * ONE_HOUR_WRITE_MULTIPLIER, price.cacheWriteNanosPerMTok ?? 0);

/**
 * A call's worst case as billable tokens: its input bound at the dearest input rate and its output
 * bound. A model with a cache-write price bills cache writes, and a caller may ask for 1-hour ones
 * (`ttl: "1h"`, twice the input price, dearer than the 5-minute write), so there every prompt token
 * is priced as a 1-hour write. Reservations, sweeps and recovered spools charge this.
 */
export function worstCaseTokens(
  worstCase: { inputTokens: number; outputTokens: number },
  price: ModelPrice,
): BillableTokens {
  const tokens: BillableTokens = {
    inputTokens: worstCase.inputTokens,
    cachedInputTokens: 0,
    outputTokens: worstCase.outputTokens,
  };
  if (price.cacheWriteNanosPerMTok != null && oneHourWriteRate(price) > price.inputNanosPerMTok) {
    tokens.cacheWriteInputTokens = worstCase.inputTokens;
    tokens.cacheWrite1hInputTokens = worstCase.inputTokens;
  }
  return tokens;
}

export const worstCaseNanosOf = (worstCase: { inputTokens: number; outputTokens: number }, price: ModelPrice): number =>
  costNanosOf(worstCaseTokens(worstCase, price), price);

function bigCost(...parts: [tokens: number, rate: number][]): number {
  let sum = 0n;
  for (const [tokens, rate] of parts) sum += BigInt(tokens) * BigInt(rate);
  const cost = (sum + PER_MTOK_BIG - 1n) / PER_MTOK_BIG;
  return cost > BigInt(MAX) ? MAX : Number(cost);
}

/** A price read from a ticket or spool file written before prices were in nano-dollars, upcast. */
export function upcastPrice(price: ModelPrice | CatalogPriceUsd): ModelPrice {
  return 'inputNanosPerMTok' in price ? price : modelPrice(price);
}
