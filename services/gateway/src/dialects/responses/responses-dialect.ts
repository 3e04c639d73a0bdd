import type { CallReply, CallRequest } from '../../pipeline/exchange';
import { hashVirtualKey, type OpenAiError, type UsageMessage } from '@sluice/contracts';
import type { Authorizer } from '../../authorize/authorizer';
import type { CallDeadline } from '../../pipeline/call-deadline';
import type { Dialect } from '../../pipeline/dialect';
import { continuedEstimate } from '../../usage/estimate';
import { NO_TOKENS } from '../../usage/token-counts';
import type { CallFacts, FinishCall } from '../../usage/usage-message';
import { sendError } from '../openai/send-error';
import type { BridgedResponses } from './bridge/bridged-responses';
import type { NativeResponses } from './native/native-responses';
import { previousElsewhere, previousResponseNotFound, storeUnavailable } from './responses-errors';
import { parseResponsesRequest, type Parsed, type PreviousResponse, type ResponsesRequest } from './responses-request';
import type { ResponseStoreClient } from './store/response-store-client';

/**
 * OpenAI's Responses API (`POST /v1/responses`): forwarded natively to a provider that has it
 * (openai, azure-openai, an openai-compatible server marked so), bridged to chat completions for
 * the others. Errors are OpenAI's, as on chat. A `previous_response_id` must name a response of
 * the calling key: it is looked up before the call is authorized (its conversation is part of the
 * prompt the reservation covers), and any other id is "not found", whether it exists or not.
 */
export class ResponsesDialect implements Dialect<ResponsesRequest> {
  constructor(
    private readonly authorizer: Authorizer,
    private readonly store: ResponseStoreClient,
    private readonly native: NativeResponses,
    private readonly bridged: BridgedResponses,
  ) {}

  parse(_op: unknown, raw: Buffer | undefined): Parsed {
    return parseResponsesRequest(raw);
  }

  async prepare(request: ResponsesRequest, req: CallRequest): Promise<Parsed> {
    const previousId = request.previousId;
    if (previousId === null) return { ok: true, request };
    const ctx = req.sluice;
    const access = await this.authorizer.access({
      keyHash: hashVirtualKey(ctx.key),
      operation: 'responses',
      clientIp: ctx.clientIp,
      requestId: ctx.requestId,
    });
    if (!access.allow) return { ok: false, error: access.error };
    let previous: PreviousResponse | null;
    try {
      previous = await this.store.conversation(previousId, access.keyId);
    } catch {
      return { ok: false, error: storeUnavailable };
    }
    if (!previous) return { ok: false, error: previousResponseNotFound(previousId) };
    request.previous = previous;
    request.estimate = continuedEstimate(request.body, previous.items, previous.stored.contextTokens ?? 0);
    return { ok: true, request };
  }

  sendError(reply: CallReply, requestId: string, error: OpenAiError): void {
    sendError(reply, requestId, error);
  }

  limitHeaders(headers: Record<string, string>): Record<string, string> {
    return headers;
  }

  async serve(
    call: CallFacts,
    request: ResponsesRequest,
    reply: CallReply,
    finish: FinishCall,
    deadline: CallDeadline,
  ): Promise<UsageMessage> {
    const native = call.route.supportsResponses === true;
    const refusal = request.previous && continuationRefusal(request, call, native);
    if (refusal) {
      const usage = await finish({ status: refusal.status, tokens: NO_TOKENS, estimated: false, ttfbMs: null });
      sendError(reply, call.requestId, refusal);
      return usage;
    }
    return native
      ? this.native.serve(call, request, reply, finish, deadline)
      : this.bridged.serve(call, request, reply, finish, deadline);
  }
}

/**
 * A stored response continues only where its conversation is: upstream (the same provider, natively) or in Sluice
 * (bridged).
 */
function continuationRefusal(request: ResponsesRequest, call: CallFacts, native: boolean): OpenAiError | null {
  const { stored } = request.previous!;
  // The key was looked up before authorize; a different answer now (it cannot happen for a live key) is not its
  // response.
  if (stored.keyId !== call.keyId) return previousResponseNotFound(stored.responseId);
  if (stored.mode === 'native' && (!native || stored.route.providerId !== call.route.providerId))
    return previousElsewhere(stored.responseId, 'it is stored by another provider');
  if (stored.mode === 'bridged' && native)
    return previousElsewhere(
      stored.responseId,
      'Sluice keeps its conversation, and this model’s provider keeps its own',
    );
  return null;
}
