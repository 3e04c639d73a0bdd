import type { FastifyReply } from 'fastify';
import type { UsageMessage } from '@sluice/contracts';
import type { CallDeadline } from '../../pipeline/call-deadline';
import { settleTokens } from '../../usage/estimate';
import { NOTHING_GENERATED } from '../../usage/generated-output';
import type { CallFacts, FinishCall } from '../../usage/usage-message';
import { sendError } from './send-error';

/**
 * The answer to a call cut at its deadline: a 504, and the prompt billed as an estimate (the
 * upstream read it; whatever it generated before the cut was never seen).
 */
export async function answerTimedOut(reply: FastifyReply, call: CallFacts, body: Record<string, unknown>, deadline: CallDeadline, finish: FinishCall): Promise<UsageMessage> {
  const usage = await finish({ status: deadline.error.status, ...settleTokens(call, body, null, NOTHING_GENERATED), ttfbMs: null });
  sendError(reply, call.requestId, deadline.error);
  return usage;
}
