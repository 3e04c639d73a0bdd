import type { ProviderType } from '@sluice/contracts';
import { maxOutputTokensOf } from '../usage/estimate';
import type { UpstreamCall } from './upstream';

export type CapField = 'max_tokens' | 'max_completion_tokens';
const OTHER: Record<CapField, CapField> = { max_tokens: 'max_completion_tokens', max_completion_tokens: 'max_tokens' };

/**
 * The one output cap the upstream is given: the cap policy reserved for (the client's own, else the
 * model's, else Sluice's default), under one name. An upstream given two caps obeys whichever it
 * knows, so a body with a small `max_completion_tokens` beside a huge `max_tokens` would otherwise be
 * reserved on one and generate up to the other. The name is the client's when it set exactly one;
 * otherwise OpenAI (and Azure, from the default API version on) take `max_completion_tokens` for chat,
 * the only cap its reasoning models accept, and legacy completions and other OpenAI-compatible
 * servers know `max_tokens`. Null when the call generates nothing, or neither policy (an older one)
 * nor the client named a cap.
 */
export function upstreamCap(call: UpstreamCall): { field: CapField; value: number } | null {
  if (call.op === 'embeddings') return null;
  const value = call.route.outputCap ?? maxOutputTokensOf(call.body);
  if (value === null || value <= 0) return null;
  const set = (field: CapField) => call.body[field] !== undefined && call.body[field] !== null;
  const field =
    set('max_tokens') !== set('max_completion_tokens')
      ? set('max_tokens')
        ? 'max_tokens'
        : 'max_completion_tokens'
      : call.op === 'chat'
        ? chatCapField(call.route.providerType)
        : 'max_tokens';
  return { field, value };
}

/** Writes the cap into an OpenAI-shaped body, in place, removing the other cap field. */
export function capOutput(body: Record<string, unknown>, cap: { field: CapField; value: number } | null): void {
  if (cap === null) return;
  delete body[OTHER[cap.field]];
  body[cap.field] = cap.value;
}

/**
 * The name a chat call's output cap goes under at this kind of provider, when the client's choice does not decide it.
 */
export const chatCapField = (providerType: ProviderType): CapField =>
  providerType === 'openai' || providerType === 'azure-openai' ? 'max_completion_tokens' : 'max_tokens';
