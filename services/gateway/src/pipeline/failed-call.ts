import type { CallReply } from './exchange';
import type { OpenAiError, UsageMessage } from '@sluice/contracts';
import type { UpstreamOutcome, UpstreamResponse } from '../providers/upstream';
import type { CallFacts, FinishCall } from '../usage/usage-message';
import { heldBilled, NOTHING_BILLED, type Billed } from '../usage/worst-case';
import type { CallDeadline } from './call-deadline';
import type { ErrorShape } from './dialect';

/**
 * An authorized call that ends in an error: finished at what its upstream bills for it (nothing,
 * unless it served or held the call), then the error sent in the dialect's shape.
 */
export async function failCall(
  reply: CallReply,
  call: CallFacts,
  error: OpenAiError,
  finish: FinishCall,
  send: ErrorShape['sendError'],
  billed: Billed = NOTHING_BILLED,
): Promise<UsageMessage> {
  const usage = await finish({ status: error.status, ...billed, ttfbMs: null });
  send(reply, call.requestId, error);
  return usage;
}

export type Answered = { ok: true; response: UpstreamResponse } | { ok: false; error: OpenAiError; billed: Billed };

/**
 * The upstream's answer to an opened call; or why the call goes no further, and what it is billed:
 * past its deadline, or held until the headers deadline, the upstream read the prompt (heldBilled);
 * refused or unreachable, nothing.
 */
export function answered(outcome: UpstreamOutcome, deadline: CallDeadline, call: CallFacts): Answered {
  if (deadline.passed) return { ok: false, error: deadline.error, billed: heldBilled(call) };
  if (!outcome.ok) return { ok: false, error: outcome.error, billed: outcome.held ? heldBilled(call) : NOTHING_BILLED };
  return outcome;
}
