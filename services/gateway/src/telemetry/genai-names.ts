import type { Operation, ProviderType } from '@sluice/contracts';

/** OpenTelemetry GenAI operation names for Sluice's operations. */
const OPERATIONS: Record<Operation, string> = {
  chat: 'chat',
  completions: 'text_completion',
  embeddings: 'embeddings',
  messages: 'chat',
  responses: 'chat',
};

/** `gen_ai.provider.name`: the well-known value where there is one, else Sluice's own name for the kind of upstream. */
const PROVIDERS: Record<ProviderType, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  'azure-openai': 'azure.ai.openai',
  'openai-compatible': 'openai_compatible',
  mock: 'sluice.mock',
};

export const genAiOperation = (operation: string): string => OPERATIONS[operation as Operation] ?? operation;
export const genAiProvider = (type: ProviderType): string => PROVIDERS[type] ?? type;
