import type { FastifyReply } from 'fastify';
import type { UsageMessage } from '@sluice/contracts';
import type { CallDeadline } from '../../pipeline/call-deadline';
import type { CallFacts, FinishCall } from '../../usage/usage-message';
import type { Billed } from '../../usage/worst-case';
import { sendError } from './send-error';

/**
 * The answer to a call cut at its deadline: a 504, and the call billed as an estimate — what the
 * upstream generated before the cut was never seen (worstCaseBilled, or heldBilled when it had not
 * answered at all).
 */
export async function answerTimedOut(reply: FastifyReply, call: CallFacts, deadline: CallDeadline, finish: FinishCall, billed: Billed): Promise<UsageMessage> {
  const usage = await finish({ status: deadline.error.status, ...billed, ttfbMs: null });
  sendError(reply, call.requestId, deadline.error);
  return usage;
}
