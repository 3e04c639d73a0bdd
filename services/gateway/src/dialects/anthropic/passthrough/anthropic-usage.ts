import { inputEstimate, outputEstimate, settleTokens } from '../../../usage/estimate';
import { NOTHING_GENERATED, type GeneratedOutput } from '../../../usage/generated-output';
import type { AnthropicUsage } from '../../../providers/anthropic/anthropic-wire';
import { tokensFromAnthropicUsage } from '../../../providers/anthropic/anthropic-tokens';
import type { TokenCounts } from '../../../usage/token-counts';
import type { CallFacts } from '../../../usage/usage-message';
import { unreportedTokens } from '../../../usage/worst-case';

/**
 * A stream's usage: message_start's, with every field the final message_delta reports over it (its counts are
 * cumulative).
 */
export function mergeUsage(start: AnthropicUsage | null, delta: AnthropicUsage | null | undefined): AnthropicUsage {
  const merged: AnthropicUsage = { ...start };
  if (delta)
    for (const [k, v] of Object.entries(delta))
      if (v !== null && v !== undefined) (merged as Record<string, unknown>)[k] = v;
  return merged;
}

/**
 * Thinking the model may do (and bill in full) though the client sees none of it: `display: "omitted"`, or a summary.
 */
export const mayThink = (body: Record<string, unknown>): boolean => {
  const type = (body.thinking as { type?: unknown } | null | undefined)?.type;
  return type !== undefined && type !== 'disabled';
};

type Settling = Pick<CallFacts, 'op' | 'route'>;

/**
 * The usage to bill for a native Messages call. With the final usage (the JSON message's, or the
 * stream's message_delta over message_start): that, as Anthropic reported it. Without it — a
 * stream cut before its message_delta — Anthropic may still bill what it generated: message_start's
 * input and cache tokens (or the prompt's bound when even that never came, priced as the
 * reservation prices it), and output estimated
 * never below what was streamed; a call that may think is billed its whole `max_tokens`, since
 * thinking is billed in full however little of it the client was shown.
 */
export function settleMessages(
  call: Settling,
  body: Record<string, unknown>,
  start: AnthropicUsage | null,
  final: TokenCounts | null,
  generated: GeneratedOutput,
): { tokens: TokenCounts; estimated: boolean } {
  if (final) return settleTokens(call, body, final, generated);
  const output = outputEstimate(call, body, generated, mayThink(body));
  const started = tokensFromAnthropicUsage(start);
  if (started) return { tokens: { ...started, outputTokens: Math.max(output, started.outputTokens) }, estimated: true };
  return {
    tokens: unreportedTokens(call.route, { inputTokens: inputEstimate(call, body), outputTokens: output }),
    estimated: true,
  };
}

/** The text of a JSON message's content (text, thinking, tool input): only read when it came without usage. */
export function generatedOfMessage(message: { content?: unknown } | null): GeneratedOutput {
  const blocks = Array.isArray(message?.content) ? (message.content as Record<string, unknown>[]) : [];
  let text = '';
  for (const b of blocks) {
    if (typeof b?.text === 'string') text += b.text;
    if (typeof b?.thinking === 'string') text += b.thinking;
    if (b?.input !== undefined) text += JSON.stringify(b.input);
  }
  return text === ''
    ? NOTHING_GENERATED
    : { chars: text.length, deltas: 0, bytes: Buffer.byteLength(text), texts: () => [text] };
}
