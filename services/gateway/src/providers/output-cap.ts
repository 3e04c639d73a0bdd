import type { ProviderType } from '@sluice/contracts';
import type { UpstreamCall } from './upstream';

export type CapField = 'max_tokens' | 'max_completion_tokens';

/**
 * The output cap to add to the upstream body, and under which name, when the client set none: the
 * cap policy reserved for, so the reservation bounds what the upstream can generate. OpenAI (and
 * Azure, from the default API version on) take `max_completion_tokens`, the only cap its reasoning
 * models accept; legacy completions and other OpenAI-compatible servers know `max_tokens`. Null
 * when the client capped the output itself or the call generates none.
 */
export function reservedCap(call: UpstreamCall): { field: CapField; value: number } | null {
  const cap = call.route.outputCap;
  if (cap === undefined || cap <= 0 || call.op === 'embeddings' || hasCap(call.body)) return null;
  return { field: call.op === 'chat' ? chatCapField(call.route.providerType) : 'max_tokens', value: cap };
}

/** The name a chat call's output cap goes under at this kind of provider. */
export const chatCapField = (providerType: ProviderType): CapField => (providerType === 'openai' || providerType === 'azure-openai' ? 'max_completion_tokens' : 'max_tokens');

const hasCap = (body: Record<string, unknown>): boolean => (body.max_tokens !== undefined && body.max_tokens !== null) || (body.max_completion_tokens !== undefined && body.max_completion_tokens !== null);
