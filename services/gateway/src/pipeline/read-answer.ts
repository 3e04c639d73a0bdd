import type { OpenAiError } from '@sluice/contracts';
import type { Logger } from '@sluice/service';
import { GatewayErrors } from '../errors/gateway-errors';
import { readBody, type UpstreamResponse } from '../providers/upstream';
import type { CallFacts } from '../usage/usage-message';
import { NOTHING_BILLED, worstCaseBilled, type Billed } from '../usage/worst-case';
import type { CallDeadline } from './call-deadline';

export interface AnswerLimits {
  maxBytes: number;
  deadline?: CallDeadline;
  logger: Logger;
}

export type ReadAnswer = { ok: true; bytes: Buffer } | { ok: false; error: OpenAiError; billed: Billed };

/**
 * A non-streamed answer's bytes, bounded; or, when they could not be read in full (too large,
 * cut, silent, past the call's deadline), the error to answer and what the call is billed. A 2xx
 * means the upstream served the call and bills all of it, whatever the client gets; an error
 * answer is billed by no provider. Every dialect reads its JSON answers here.
 */
export async function readAnswer(
  upstream: UpstreamResponse,
  call: CallFacts,
  { maxBytes, deadline, logger }: AnswerLimits,
): Promise<ReadAnswer> {
  try {
    return { ok: true, bytes: await readBody(upstream, maxBytes) };
  } catch (err) {
    if (deadline?.passed) return { ok: false, error: deadline.error, billed: worstCaseBilled(call) };
    const served = upstream.status >= 200 && upstream.status < 300;
    if (served)
      logger.warn(
        { requestId: call.requestId, providerId: call.route.providerId, err: (err as Error).message },
        'upstream answer not read in full; the call is billed at its worst case',
      );
    return { ok: false, error: GatewayErrors.upstreamBroken, billed: served ? worstCaseBilled(call) : NOTHING_BILLED };
  }
}
