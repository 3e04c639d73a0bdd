import type { CallReply } from '../../../pipeline/exchange';
import type { StoredResponse, UsageMessage } from '@sluice/contracts';
import type { Logger } from '@sluice/service';
import { GatewayErrors } from '../../../errors/gateway-errors';
import type { CallDeadline } from '../../../pipeline/call-deadline';
import { costHeaders } from '../../../pipeline/cost-headers';
import { answered, failCall } from '../../../pipeline/failed-call';
import { answerJson } from '../../../pipeline/json-answer';
import { isEventStream, type UpstreamResponse } from '../../../providers/upstream';
import { reportedTokens } from '../../../usage/token-counts';
import { eventTooLargeLog } from '../../../providers/sse-event-bound';
import type { UpstreamDispatch } from '../../../providers/upstream-dispatch';
import { settleTokens } from '../../../usage/estimate';
import type { TokenCounts } from '../../../usage/token-counts';
import { NOTHING_GENERATED } from '../../../usage/generated-output';
import { generatedOfJson } from '../../../usage/usage-from-json';
import type { CallFacts, FinishCall } from '../../../usage/usage-message';
import { worstCaseBilled } from '../../../usage/worst-case';
import { OPENAI_ANSWERS, sendError } from '../../openai/send-error';
import type { ResponsesLimits } from '../responses-limits';
import { relayEvents, streamOf } from '../../../pipeline/event-relay';
import type { ResponsesRequest } from '../responses-request';
import { tooLargeToStore } from '../responses-errors';
import type { ResponseStoreClient } from '../store/response-store-client';
import { chatRequestOf } from './chat-request';
import { newId, outputOf, responseShell, statusOf, type ChatMessageOut } from './response-object';
import { storedInput } from './stored-input';
import { StreamBridge } from './stream-bridge';

interface ChatCompletion {
  choices?: { message?: ChatMessageOut; finish_reason?: unknown }[];
  usage?: unknown;
}

/**
 * `/v1/responses` on a provider without the Responses API: the call goes through the provider's
 * chat completions path (which translates further where the provider needs it, as for Anthropic)
 * and its answer is built back as a response — JSON, or events as the chat chunks arrive. Sluice
 * keeps the response and its input (unless `store: false`), so `previous_response_id`, retrieve
 * and `input_items` work as on OpenAI.
 */
export class BridgedResponses {
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
    const refuse = (error: Parameters<typeof sendError>[2]) => failCall(reply, call, error, finish, sendError);
    const chat = chatRequestOf(request.body, request.previous?.items ?? []);
    if (!chat.ok) return refuse(chat.error);
    const input = storedInput(request.body.input);
    if (request.store) {
      const bytes = Buffer.byteLength(JSON.stringify(input));
      // The answer needs room too; the input must leave at least half of a message for it.
      if (bytes > this.store.maxBytes / 2) return refuse(tooLargeToStore(bytes, Math.floor(this.store.maxBytes / 2)));
    }
    const turn: Turn = {
      call,
      request,
      chatBody: chat.body,
      input,
      shell: responseShell(request.body, newId('resp'), Math.floor(call.startedAt / 1000)),
    };
    const outcome = answered(
      await this.dispatch.open({
        op: 'chat',
        body: chat.body,
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
    if (request.stream && upstream.status === 200 && isEventStream(upstream.contentType)) {
      deadline.clear();
      return this.stream(turn, reply, upstream, finish);
    }
    return this.json(turn, reply, upstream, finish, deadline);
  }

  private json(
    turn: Turn,
    reply: CallReply,
    upstream: UpstreamResponse,
    finish: FinishCall,
    deadline: CallDeadline,
  ): Promise<UsageMessage> {
    const { call } = turn;
    return answerJson(reply, upstream, call, finish, {
      limits: this.limits,
      deadline,
      logger: this.logger,
      ...OPENAI_ANSWERS,
      // The chat completion built back as a response, kept as it is settled.
      served: (bytes) => {
        let completion: ChatCompletion | null = null;
        try {
          completion = JSON.parse(bytes.toString('utf8')) as ChatCompletion;
        } catch {
          // A 2xx the gateway cannot read is still a call the upstream served and bills.
        }
        if (completion === null || typeof completion !== 'object')
          return { ok: false, error: GatewayErrors.upstreamBroken, billed: worstCaseBilled(call) };
        const reported = reportedTokens(upstream, () => completion.usage);
        const billed = settleTokens(
          { op: 'chat', route: call.route },
          turn.chatBody,
          reported,
          reported && reported.outputTokens > 0 ? NOTHING_GENERATED : generatedOfJson(bytes),
        );
        const choice = completion.choices?.[0];
        const response = {
          ...turn.shell,
          ...statusOf(choice?.finish_reason),
          completed_at: Math.floor(Date.now() / 1000),
          output: outputOf(choice?.message),
          usage: usageObject(billed.tokens),
        };
        return { ok: true, billed, body: JSON.stringify(response), alongside: () => this.keep(turn, response) };
      },
    });
  }

  private async stream(
    turn: Turn,
    reply: CallReply,
    upstream: UpstreamResponse,
    finish: FinishCall,
  ): Promise<UsageMessage> {
    const { call } = turn;
    reply.hijack();
    const bridge = new StreamBridge(turn.shell, this.limits.maxSseEventBytes);
    let usage: UsageMessage | undefined;
    await relayEvents(reply.raw, upstream, bridge, {
      ...streamOf(call, this.limits),
      end: async (relayed) => {
        const settled = settleTokens(
          { op: 'chat', route: call.route },
          turn.chatBody,
          reportedTokens(upstream, () => bridge.usage),
          bridge.generated,
        );
        const failed = relayed.upstreamFailed;
        if (failed)
          this.logger.warn(
            { requestId: call.requestId, providerId: call.route.providerId },
            relayed.eventTooLarge
              ? eventTooLargeLog(this.limits.maxSseEventBytes)
              : 'upstream stream broke after it began',
          );
        const ended = failed
          ? {
              status: 'failed',
              error: { code: GatewayErrors.upstreamBroken.code, message: GatewayErrors.upstreamBroken.message },
            }
          : statusOf(bridge.finishReason);
        const response = {
          ...turn.shell,
          ...ended,
          completed_at: Math.floor(Date.now() / 1000),
          output: bridge.output,
          usage: usageObject(settled.tokens),
        };
        [usage] = await Promise.all([
          finish({ status: failed ? 502 : 200, ...settled, ttfbMs: relayed.ttfbMs }),
          !failed && this.keep(turn, response),
        ]);
        const type = failed
          ? 'response.failed'
          : response.status === 'incomplete'
            ? 'response.incomplete'
            : 'response.completed';
        return { last: bridge.final(type, response), trailers: costHeaders(call, usage.costNanos) };
      },
    });
    return usage!;
  }

  /** Keeps the response and its input for the key, unless `store: false`. */
  private async keep(turn: Turn, response: Record<string, unknown>): Promise<void> {
    const { call, request } = turn;
    if (!request.store) return;
    const stored: StoredResponse = {
      responseId: String(response.id),
      keyId: call.keyId,
      callId: call.callId,
      model: call.model,
      route: {
        providerId: call.route.providerId,
        providerType: call.route.providerType,
        baseUrl: call.route.baseUrl,
        upstreamModel: call.route.upstreamModel,
      },
      mode: 'bridged',
      previousResponseId: request.previousId,
      createdAt: new Date(call.startedAt).toISOString(),
      response,
      input: turn.input,
    };
    await this.store.save(stored);
  }
}

interface Turn {
  call: CallFacts;
  request: ResponsesRequest;
  chatBody: Record<string, unknown>;
  input: Record<string, unknown>[];
  shell: Record<string, unknown>;
}

/** The billed tokens in the Responses usage shape: what the client is told is what it is charged. */
function usageObject(t: TokenCounts): Record<string, unknown> {
  return {
    input_tokens: t.inputTokens,
    input_tokens_details: { cached_tokens: t.cachedInputTokens },
    output_tokens: t.outputTokens,
    output_tokens_details: { reasoning_tokens: t.reasoningTokens },
    total_tokens: t.inputTokens + t.outputTokens,
  };
}
