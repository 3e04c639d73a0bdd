/** The token kinds a usage message carries, read from an OpenAI `usage` object. */
export interface TokenCounts {
  inputTokens: number;
  cachedInputTokens: number;
  /** Part of inputTokens: written to the provider's prompt cache (Anthropic reports it); absent: none. */
  cacheWriteInputTokens?: number;
  /**
   * Part of cacheWriteInputTokens: written for an hour (Anthropic's `ephemeral_1h_input_tokens`), billed dearer;
   * absent: none.
   */
  cacheWrite1hInputTokens?: number;
  outputTokens: number;
  reasoningTokens: number;
}

export const NO_TOKENS: TokenCounts = Object.freeze({
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
});

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);

/**
 * Cache writes where an upstream reports them beside `cached_tokens` (OpenRouter, in front of Anthropic): part of the
 * input.
 */
function withCacheWrites(
  tokens: TokenCounts,
  details: { cache_write_tokens?: unknown } | null | undefined,
): TokenCounts {
  const written = count(details?.cache_write_tokens);
  if (written > 0) tokens.cacheWriteInputTokens = written;
  return tokens;
}

/**
 * `prompt_tokens`, `completion_tokens` (embeddings have none), `prompt_tokens_details.cached_tokens`
 * (and `cache_write_tokens`) and `completion_tokens_details.reasoning_tokens`; null when the value
 * is not a usage object.
 */
export function tokensFromUsage(usage: unknown): TokenCounts | null {
  if (usage === null || typeof usage !== 'object') return null;
  const u = usage as {
    prompt_tokens?: unknown;
    completion_tokens?: unknown;
    prompt_tokens_details?: { cached_tokens?: unknown; cache_write_tokens?: unknown } | null;
    completion_tokens_details?: { reasoning_tokens?: unknown } | null;
  };
  if (u.prompt_tokens === undefined && u.completion_tokens === undefined) return null;
  return withCacheWrites(
    {
      inputTokens: count(u.prompt_tokens),
      cachedInputTokens: count(u.prompt_tokens_details?.cached_tokens),
      outputTokens: count(u.completion_tokens),
      reasoningTokens: count(u.completion_tokens_details?.reasoning_tokens),
    },
    u.prompt_tokens_details,
  );
}

/**
 * A Responses usage object: `input_tokens` (with `input_tokens_details.cached_tokens` and
 * `cache_write_tokens`) and `output_tokens` (with `output_tokens_details.reasoning_tokens`); null
 * when it is not one.
 */
export function tokensFromResponsesUsage(usage: unknown): TokenCounts | null {
  if (usage === null || typeof usage !== 'object') return null;
  const u = usage as {
    input_tokens?: unknown;
    output_tokens?: unknown;
    input_tokens_details?: { cached_tokens?: unknown; cache_write_tokens?: unknown } | null;
    output_tokens_details?: { reasoning_tokens?: unknown } | null;
  };
  if (u.input_tokens === undefined && u.output_tokens === undefined) return null;
  return withCacheWrites(
    {
      inputTokens: count(u.input_tokens),
      cachedInputTokens: count(u.input_tokens_details?.cached_tokens),
      outputTokens: count(u.output_tokens),
      reasoningTokens: count(u.output_tokens_details?.reasoning_tokens),
    },
    u.input_tokens_details,
  );
}

/**
 * What the upstream reported: the adapter's own reading when it has one, else the `usage` of the answer it relayed
 * (read only then).
 */
export const reportedTokens = (
  upstream: { reportedTokens?: () => TokenCounts | null },
  relayedUsage: () => unknown,
): TokenCounts | null => (upstream.reportedTokens ? upstream.reportedTokens() : tokensFromUsage(relayedUsage()));
