import type { Usage } from './types';

// OpenAI caches prompts of 1024 tokens or more, in steps of 128; the mock reports a cache hit when
// the caller names a cache key, so tests can see cached tokens flow through.
const CACHE_MIN = 1024;
const CACHE_STEP = 128;

export function cachedTokensFor(promptTokens: number, cacheKey: unknown): number {
  if (typeof cacheKey !== 'string' || promptTokens < CACHE_MIN) return 0;
  return Math.floor(promptTokens / CACHE_STEP) * CACHE_STEP;
}

export function chatUsage(
  promptTokens: number,
  completionTokens: number,
  cachedTokens: number,
  reasoningTokens: number,
): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: cachedTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** OpenAI generates (and bills) `n` choices; anything else counts as one. */
export const choicesOf = (n: unknown): number =>
  typeof n === 'number' && Number.isInteger(n) && n > 1 ? Math.min(n, 128) : 1;
