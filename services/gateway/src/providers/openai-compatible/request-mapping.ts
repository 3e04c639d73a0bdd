import { reservedCap } from '../output-cap';
import type { UpstreamCall, UpstreamOperation } from '../upstream';

/** The mapping from a gateway call to an OpenAI-compatible request, as data. */
export const OPENAI_COMPATIBLE = {
  paths: { chat: '/chat/completions', completions: '/completions', embeddings: '/embeddings', responses: '/responses' } satisfies Record<UpstreamOperation | 'responses', string>,
  /** Body fields the gateway sets, whatever the client sent. */
  overrides: {
    model: (call: UpstreamCall) => call.route.upstreamModel,
    // Streams always ask for the usage chunk, so a streamed call is billed like a non-streamed one.
    stream_options: (call: UpstreamCall) => (call.stream ? { ...(call.body.stream_options as object | undefined), include_usage: true } : call.body.stream_options),
    // Without a cap of the client's own, the upstream gets the one policy reserved for.
    max_completion_tokens: (call: UpstreamCall) => capIf(call, 'max_completion_tokens'),
    max_tokens: (call: UpstreamCall) => capIf(call, 'max_tokens'),
  },
} as const;

/** The upstream body: the client's, with the overrides applied in place, serialised once. */
export function upstreamBody(call: UpstreamCall): string {
  const body = call.body;
  for (const [field, value] of Object.entries(OPENAI_COMPATIBLE.overrides)) {
    const v = value(call);
    if (v !== undefined) body[field] = v;
  }
  return JSON.stringify(body);
}

function capIf(call: UpstreamCall, field: 'max_tokens' | 'max_completion_tokens'): number | undefined {
  const cap = reservedCap(call);
  return cap?.field === field ? cap.value : undefined;
}
