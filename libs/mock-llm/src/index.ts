export type {
  ChatBody,
  ChatMessage,
  CompletionBody,
  EmbeddingsBody,
  FinishReason,
  MockOptions,
  StreamOptions,
  Usage,
} from './types';
export { mockChatCompletion, mockChatChunks, type ChatChunk } from './chat';
export { mockCompletion, mockCompletionChunks, type CompletionChunk } from './completions';
export {
  mockAnthropicMessage,
  mockAnthropicFrames,
  anthropicInputTokens,
  PromptCache,
  ThinkingSignatures,
  type AnthropicBody,
  type AnthropicUsage,
} from './anthropic';
export { mockEmbeddings, mockVector, toBase64 } from './embeddings';
export {
  countTokens,
  chatPromptTokens,
  inputTokens,
  textOf,
  ROUGH_TOKENS,
  type TokenCounter,
  type PromptDefinitions,
} from './tokens';
export { realTokens } from './real-tokens';
export {
  mockResponse,
  mockResponseFrames,
  mockInputTokens,
  inputItems,
  type ResponsesBody,
  type ResponsesUsage,
  type MockResponse,
} from './responses';
export { mockToolCall, type MockToolCall } from './tool-call';
export { startMockUpstream, type MockUpstream, type MockUpstreamOptions } from './upstream/server';
export type { Invoice, InvoiceEntry } from './upstream/invoice';
