import type { TokenCounts } from '../../usage/token-counts';
import type { AnthropicUsage } from './anthropic-wire';

const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);

/**
 * Anthropic counts cache reads and writes apart from `input_tokens`; Sluice's input tokens include
 * both (OpenAI's convention), the reads billed at the cached price and the writes at the
 * cache-write price — those written for an hour (`cache_creation.ephemeral_1h_input_tokens`) at
 * the 1-hour rate. Thinking tokens are part of the output. Null when it is not a usage object.
 * Every path to Anthropic bills from this: native, and translated to chat or Responses, whose
 * usage shapes have no field for the writes.
 */
export function tokensFromAnthropicUsage(usage: unknown): TokenCounts | null {
  if (usage === null || typeof usage !== 'object') return null;
  const u = usage as AnthropicUsage;
  if (u.input_tokens === undefined && u.output_tokens === undefined) return null;
  const cached = n(u.cache_read_input_tokens);
  const hour = n(u.cache_creation?.ephemeral_1h_input_tokens);
  const written = Math.max(n(u.cache_creation_input_tokens), n(u.cache_creation?.ephemeral_5m_input_tokens) + hour);
  const tokens: TokenCounts = {
    inputTokens: n(u.input_tokens) + cached + written,
    cachedInputTokens: cached,
    outputTokens: n(u.output_tokens),
    reasoningTokens: n(u.output_tokens_details?.thinking_tokens),
  };
  if (written > 0) tokens.cacheWriteInputTokens = written;
  if (hour > 0) tokens.cacheWrite1hInputTokens = hour;
  return tokens;
}
