import type { CallReply } from '../../pipeline/exchange';
import type { OpenAiError, Operation, UsageMessage } from '@sluice/contracts';
import type { Logger } from '@sluice/service';
import type { Dialect } from '../../pipeline/dialect';
import type { CallDeadline } from '../../pipeline/call-deadline';
import { costHeaders } from '../../pipeline/cost-headers';
import { streamOf } from '../../pipeline/event-relay';
import { answered, failCall } from '../../pipeline/failed-call';
import { answerJson } from '../../pipeline/json-answer';
import { isEventStream } from '../../providers/upstream';
import { reportedTokens } from '../../usage/token-counts';
import { eventTooLargeLog } from '../../providers/sse-event-bound';
import type { UpstreamDispatch } from '../../providers/upstream-dispatch';
import { settleJson, settleTokens } from '../../usage/estimate';
import type { CallFacts, FinishCall } from '../../usage/usage-message';
import { parseOpenAiRequest, type OpenAiOperation, type OpenAiRequest } from './openai-request';
import { OPENAI_ANSWERS, sendError } from './send-error';
import { relaySse } from './sse-relay';

export interface InferenceLimits {
  maxUpstreamBodyBytes: number;
  drainAfterDisconnectMs: number;
  clientStallMs: number;
  maxStreamMs: number;
  maxSseEventBytes: number;
}

/**
 * OpenAI's chat completions, completions and embeddings: the dialect every provider adapter speaks
 * (providers/ translate it where the upstream does not), so the call goes to the route's provider
 * as it came, and its answer — JSON, or SSE relayed as it arrives — comes back as the provider gave it.
 */
export class OpenAiDialect implements Dialect<OpenAiRequest> {
  constructor(
    private readonly dispatch: UpstreamDispatch,
    private readonly limits: InferenceLimits,
    private readonly logger: Logger,
  ) {}

  parse(op: Operation, raw: Buffer | undefined) {
    return parseOpenAiRequest(op as OpenAiOperation, raw);
  }

  sendError(reply: CallReply, requestId: string, error: OpenAiError): void {
    sendError(reply, requestId, error);
  }

  /** Policy computes OpenAI's `x-ratelimit-*` headers already. */
  limitHeaders(headers: Record<string, string>): Record<string, string> {
    return headers;
  }

  async serve(
    call: CallFacts,
    request: OpenAiRequest,
    reply: CallReply,
    finish: FinishCall,
    deadline: CallDeadline,
  ): Promise<UsageMessage> {
    const outcome = answered(
      await this.dispatch.open({
        op: call.op as OpenAiOperation,
        body: request.body,
        stream: request.stream,
        requestId: call.requestId,
        route: call.route,
        signal: deadline.signal,
      }),
      deadline,
      call,
    );
    if (!outcome.ok) return failCall(reply, call, outcome.error, finish, sendError, outcome.billed);
    const upstream = outcome.response;
    if (!request.stream || upstream.status !== 200 || !isEventStream(upstream.contentType)) {
      return answerJson(reply, upstream, call, finish, {
        limits: this.limits,
        deadline,
        logger: this.logger,
        ...OPENAI_ANSWERS,
        // Sent on as the upstream gave them; only the usage is read out of them.
        served: (bytes) => ({ ok: true, billed: settleJson(call, request.body, bytes, upstream), body: bytes }),
      });
    }
    deadline.clear();
    reply.hijack();
    let usage: UsageMessage | undefined;
    await relaySse(reply.raw, upstream, {
      ...streamOf(call, this.limits),
      clientWantsUsage: request.includeUsage,
      maxEventBytes: this.limits.maxSseEventBytes,
      end: async (relayed) => {
        if (relayed.upstreamFailed) {
          const why = relayed.eventTooLarge
            ? eventTooLargeLog(this.limits.maxSseEventBytes)
            : 'upstream stream broke after it began';
          this.logger.warn({ requestId: call.requestId, providerId: call.route.providerId }, why);
        }
        const settled = settleTokens(
          call,
          request.body,
          reportedTokens(upstream, () => relayed.usage),
          relayed.generated,
        );
        usage = await finish({ status: relayed.upstreamFailed ? 502 : 200, ...settled, ttfbMs: relayed.ttfbMs });
        return costHeaders(call, usage.costNanos);
      },
    });
    return usage!;
  }
}
