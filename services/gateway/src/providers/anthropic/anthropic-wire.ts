/** The slice of Anthropic's Messages API the gateway writes and reads. Replies come from JSON, so they are loose. */

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
export const ANTHROPIC_VERSION = '2023-06-01';
export const MESSAGES_PATH = '/v1/messages';
/** Anthropic requires max_tokens; used when neither the client nor the catalog sets one. */
export const DEFAULT_MAX_TOKENS = 4096;

/** A prompt-cache breakpoint: Anthropic caches the prompt up to and including the block that carries it. */
export interface CacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

export type AnthropicBlock =
  | { type: 'text'; text: string; cache_control?: CacheControl }
  | {
      type: 'image';
      source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };
      cache_control?: CacheControl;
    }
  | { type: 'tool_use'; id: string; name: string; input: unknown; cache_control?: CacheControl }
  | { type: 'tool_result'; tool_use_id: string; content: string; cache_control?: CacheControl };

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicBlock[];
}

/** Anthropic's `usage` (a Message's, message_start's, or message_delta's cumulative one). */
export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  /** The writes by lifetime (their sum is `cache_creation_input_tokens`): a 1-hour write costs more. */
  cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

export interface AnthropicReply {
  id?: string;
  model?: string;
  content?: { type?: string; text?: unknown; id?: unknown; name?: unknown; input?: unknown }[];
  stop_reason?: string | null;
  usage?: AnthropicUsage;
}
