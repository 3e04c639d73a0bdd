import { capOutput, upstreamCap } from '../output-cap';
import type { UpstreamCall, UpstreamOperation } from '../upstream';

/** The mapping from a gateway call to an OpenAI-compatible request, as data. */
export const OPENAI_COMPATIBLE = {
  paths: {
    chat: '/chat/completions',
    completions: '/completions',
    embeddings: '/embeddings',
    responses: '/responses',
  } satisfies Record<UpstreamOperation | 'responses', string>,
  /** Body fields the gateway sets, whatever the client sent. */
  overrides: {
    model: (call: UpstreamCall) => call.route.upstreamModel,
    // Streams always ask for the usage chunk, so a streamed call is billed like a non-streamed one.
    stream_options: (call: UpstreamCall) =>
      call.stream
        ? { ...(call.body.stream_options as object | undefined), include_usage: true }
        : call.body.stream_options,
  },
} as const;

/**
 * The upstream body: the client's, with the overrides and the one output cap (upstreamCap) applied in place, serialised
 * once.
 */
export function upstreamBody(call: UpstreamCall): string {
  const body = call.body;
  for (const [field, value] of Object.entries(OPENAI_COMPATIBLE.overrides)) {
    const v = value(call);
    if (v !== undefined) body[field] = v;
  }
  capOutput(body, upstreamCap(call));
  return JSON.stringify(body);
}
