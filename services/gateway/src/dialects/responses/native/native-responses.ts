import type { CallReply } from '../../../pipeline/exchange';
import type { StoredResponse, UsageMessage } from '@sluice/contracts';
import type { Logger } from '@sluice/service';
import { GatewayErrors } from '../../../errors/gateway-errors';
import type { CallDeadline } from '../../../pipeline/call-deadline';
import { costHeaders } from '../../../pipeline/cost-headers';
import { answered, failCall } from '../../../pipeline/failed-call';
import { answerJson } from '../../../pipeline/json-answer';
import { eventTooLargeLog } from '../../../providers/sse-event-bound';
import { isEventStream, type UpstreamResponse } from '../../../providers/upstream';
import type { UpstreamDispatch } from '../../../providers/upstream-dispatch';
import { settleTokens } from '../../../usage/estimate';
import { NOTHING_GENERATED } from '../../../usage/generated-output';
import { tokensFromResponsesUsage } from '../../../usage/token-counts';
import type { CallFacts, FinishCall } from '../../../usage/usage-message';
import { OPENAI_ANSWERS, sendError } from '../../openai/send-error';
import type { ResponsesRequest } from '../responses-request';
import { relayEvents, streamOf } from '../../../pipeline/event-relay';
import { isStorableResponseId, type ResponseStoreClient } from '../store/response-store-client';
import type { ResponsesLimits } from '../responses-limits';
import { generatedOfResponse, NativeEvents } from './native-events';
import { responsesRequest } from './native-request';

/**
 * `/v1/responses` on a provider that has the Responses API: the client's body goes upstream with
 * the model mapped and the reserved output cap when it set none, and the answer comes back as the
 * upstream gave it — JSON, or its events as they arrive. Billing reads the usage of the response
 * (`response.completed`/`failed`/`incomplete` on a stream); the response id is bound to the key
 * before the answer's last bytes.
 */
export class NativeResponses {
  constructor(
    private readonly dispatch: UpstreamDispatch,
    private readonly store: ResponseStoreClient,
    private readonly limits: ResponsesLimits,
    private readonly logger: Logger,
  ) {}

  async serve(
    call: CallFacts,
    request: ResponsesRequest,
    reply: CallReply,
    finish: FinishCall,
    deadline: CallDeadline,
  ): Promise<UsageMessage> {
    const body: Record<string, unknown> = { ...request.body, model: call.route.upstreamModel };
    if ((body.max_output_tokens === undefined || body.max_output_tokens === null) && call.route.outputCap)
      body.max_output_tokens = call.route.outputCap;
    const build = (credential: Parameters<typeof responsesRequest>[0]) =>
      responsesRequest(credential, call.requestId, 'POST', '', JSON.stringify(body), request.stream);
    const outcome = answered(
      await this.dispatch.forward(call.route, call.requestId, build, deadline.signal),
      deadline,
      call,
    );
    if (!outcome.ok) return failCall(reply, call, outcome.error, finish, sendError, outcome.billed);
    const upstream = outcome.response;
    if (request.stream && upstream.status === 200 && isEventStream(upstream.contentType)) {
      deadline.clear();
      return this.stream(call, request, reply, upstream, finish);
    }
    return this.json(call, request, reply, upstream, finish, deadline);
  }

  private json(
    call: CallFacts,
    request: ResponsesRequest,
    reply: CallReply,
    upstream: UpstreamResponse,
    finish: FinishCall,
    deadline: CallDeadline,
  ): Promise<UsageMessage> {
    return answerJson(reply, upstream, call, finish, {
      limits: this.limits,
      deadline,
      logger: this.logger,
      ...OPENAI_ANSWERS,
      // Sent on as the upstream gave them; the usage is read out of them, and the response id kept.
      served: (bytes) => {
        let response: Record<string, unknown> | null = null;
        try {
          response = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
        } catch {
          response = null;
        }
        const reported = tokensFromResponsesUsage(response?.usage);
        const generated = reported && reported.outputTokens > 0 ? NOTHING_GENERATED : generatedOfResponse(bytes);
        const id = response?.id;
        return {
          ok: true,
          billed: settleTokens(call, request.body, reported, generated, request.estimate.inputTokensBound),
          body: bytes,
          // Stored as it is settled: both must be done before the last bytes, neither waits for the other.
          alongside:
            typeof id === 'string'
              ? () => this.keep(call, request, id, reported ? reported.inputTokens + reported.outputTokens : 0)
              : undefined,
        };
      },
    });
  }

  private async stream(
    call: CallFacts,
    request: ResponsesRequest,
    reply: CallReply,
    upstream: UpstreamResponse,
    finish: FinishCall,
  ): Promise<UsageMessage> {
    reply.hijack();
    const events = new NativeEvents(this.limits.maxSseEventBytes);
    let usage: UsageMessage | undefined;
    await relayEvents(reply.raw, upstream, events, {
      ...streamOf(call, this.limits),
      end: async (relayed) => {
        const reported = tokensFromResponsesUsage(events.final?.usage);
        const settled = settleTokens(call, request.body, reported, events.generated, request.estimate.inputTokensBound);
        const complete = events.final !== null && events.final.status !== 'failed' && !relayed.upstreamFailed;
        if (!complete)
          this.logger.warn(
            { requestId: call.requestId, providerId: call.route.providerId, status: events.final?.status ?? null },
            relayed.eventTooLarge
              ? eventTooLargeLog(this.limits.maxSseEventBytes)
              : 'upstream response stream did not complete',
          );
        [usage] = await Promise.all([
          finish({ status: complete ? 200 : 502, ...settled, ttfbMs: relayed.ttfbMs }),
          events.responseId !== null &&
            events.final !== null &&
            this.keep(call, request, events.responseId, reported ? reported.inputTokens + reported.outputTokens : 0),
        ]);
        const last = events.held ?? brokenEvent(events.lastSequence + 1);
        return { last, trailers: costHeaders(call, usage.costNanos) };
      },
    });
    return usage!;
  }

  /**
   * Binds the id to the key and notes where it lives, so a later call can read or continue it (kept upstream unless
   * `store: false`).
   */
  private async keep(
    call: CallFacts,
    request: ResponsesRequest,
    responseId: string,
    contextTokens: number,
  ): Promise<void> {
    if (!request.store) return;
    // An id Sluice will put in an upstream URL and a database key: OpenAI's shape only.
    if (!isStorableResponseId(responseId)) {
      this.logger.warn(
        { requestId: call.requestId, providerId: call.route.providerId },
        'the upstream returned a response id Sluice does not store',
      );
      return;
    }
    const stored: StoredResponse = {
      responseId,
      keyId: call.keyId,
      callId: call.callId,
      model: call.model,
      route: {
        providerId: call.route.providerId,
        providerType: call.route.providerType,
        baseUrl: call.route.baseUrl,
        upstreamModel: call.route.upstreamModel,
        ...(call.route.secretVersion !== undefined ? { secretVersion: call.route.secretVersion } : {}),
      },
      mode: 'native',
      previousResponseId: request.previousId,
      createdAt: new Date(call.startedAt).toISOString(),
      contextTokens,
    };
    await this.store.save(stored);
  }
}

/** What a stream that broke before its last event ends with: OpenAI's `error` event. */
export function brokenEvent(sequence: number): string {
  const { message, code } = GatewayErrors.upstreamBroken;
  return `event: error\ndata: ${JSON.stringify({ type: 'error', code, message, param: null, sequence_number: sequence })}\n\n`;
}
