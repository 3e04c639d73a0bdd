import type { TokenCounter } from './tokens';

/** The slice of the OpenAI wire format the mock reads and writes. Bodies come from JSON, so inputs are loose. */
export interface ChatMessage {
  role: string;
  content?: unknown;
  name?: string;
  tool_calls?: unknown;
}

export interface StreamOptions {
  include_usage?: boolean;
}

export interface ChatBody {
  model: string;
  messages: ChatMessage[];
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  stream?: boolean | null;
  stream_options?: StreamOptions | null;
  prompt_cache_key?: string;
  n?: number | null;
  tools?: unknown;
  tool_choice?: unknown;
  functions?: unknown;
  response_format?: unknown;
}

export interface CompletionBody {
  model: string;
  prompt: unknown;
  max_tokens?: number | null;
  n?: number | null;
  /** Completions generated (and billed) server-side, of which the best `n` are returned. */
  best_of?: number | null;
  stream?: boolean | null;
  stream_options?: StreamOptions | null;
}

export interface EmbeddingsBody {
  model: string;
  input: unknown;
  dimensions?: number;
  encoding_format?: 'float' | 'base64';
}

export type FinishReason = 'stop' | 'length' | 'tool_calls';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details?: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

/** Lets tests pin the id and timestamp; by default both are generated. */
export interface MockOptions {
  id?: string;
  created?: number;
  /** How tokens are counted and streamed; the four-characters rule of thumb by default. */
  tokens?: TokenCounter;
}
