import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashVirtualKey, type OpenAiError, type Route, type StoredResponse } from '@sluice/contracts';
import type { Logger } from '@sluice/service';
import type { Authorizer } from '../../authorize/authorizer';
import { GatewayErrors } from '../../errors/gateway-errors';
import { armClientIdle } from '../../edge/client-idle';
import type { RequestContext } from '../../edge/request-context';
import { withinDeadline, type CallDeadline } from '../../pipeline/call-deadline';
import { relayEvents } from '../../pipeline/event-relay';
import type { ResolvedCredential } from '../../credentials/resolved-credential';
import { eventTooLargeLog } from '../../providers/sse-event-bound';
import type { UpstreamRequest } from '../../providers/openai-compatible/openai-compatible';
import { readBody, isEventStream, type UpstreamResponse } from '../../providers/upstream';
import type { UpstreamDispatch } from '../../providers/upstream-dispatch';
import { upstreamError } from '../../providers/upstream-errors';
import { parseModelBody } from '../openai/openai-request';
import { sendError } from '../openai/send-error';
import { NativeEvents } from './native/native-events';
import { responsesRequest } from './native/native-request';
import { brokenEvent } from './native/native-responses';
import { previousResponseNotFound, responseNotFound, storeUnavailable } from './responses-errors';
import type { ResponsesLimits } from './responses-limits';
import { upstreamStateRefusal } from './responses-request';
import type { ResponseStoreClient } from './store/response-store-client';

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

const notBackground: OpenAiError = {
  status: 400,
  type: 'invalid_request_error',
  code: null,
  param: null,
  message: 'Only responses created with background=true can be cancelled.',
};
const noStreamReplay: OpenAiError = {
  status: 400,
  type: 'invalid_request_error',
  code: 'invalid_value',
  param: 'stream',
  message: 'Only a background response can be streamed again; read this one without stream=true.',
};
const noTokenCount = (model: string): OpenAiError => ({
  status: 400,
  type: 'invalid_request_error',
  code: 'unsupported_operation',
  param: 'model',
  message: `Counting input tokens needs a provider with the Responses API; the provider of \`${model.slice(0, 256)}\` has none (Sluice serves its responses through chat completions).`,
});

/**
 * What a key can do with a response it created: read it, list its input, cancel it, delete it
 * (and count a prompt's input tokens). Every call first asks policy for the key's own rules (no
 * limit counts), then the store for the response *as this key's*: another key's id is the same 404
 * as an unknown one, and nothing is sent upstream. A native response is then asked of its provider
 * with the provider's key; a bridged one is answered from the store.
 */
export class ResponseResources {
  constructor(
    private readonly authorizer: Authorizer,
    private readonly store: ResponseStoreClient,
    private readonly dispatch: UpstreamDispatch,
    /** A call's bounds, and its deadline: a forwarded request is held to it as a call is. */
    private readonly limits: ResponsesLimits & { maxCallMs: number },
    private readonly logger: Logger,
  ) {}

  async retrieve(req: IdRequest, reply: FastifyReply): Promise<void> {
    const owned = await this.owned(req, reply);
    if (!owned) return;
    if (owned.mode === 'native') return this.forward(req, reply, owned, 'GET', '');
    if (new URL(req.url, 'http://gateway').searchParams.get('stream') === 'true')
      return sendError(reply, req.sluice.requestId, noStreamReplay);
    this.sendJson(reply, req.sluice.requestId, owned.response);
  }

  async remove(req: IdRequest, reply: FastifyReply): Promise<void> {
    const owned = await this.owned(req, reply);
    if (!owned) return;
    if (owned.mode === 'native') return this.forward(req, reply, owned, 'DELETE', '');
    if (!(await this.forget(req, reply, owned))) return;
    this.sendJson(reply, req.sluice.requestId, { id: owned.responseId, object: 'response', deleted: true });
  }

  async cancel(req: IdRequest, reply: FastifyReply): Promise<void> {
    const owned = await this.owned(req, reply);
    if (!owned) return;
    if (owned.mode === 'native') return this.forward(req, reply, owned, 'POST', '/cancel');
    sendError(reply, req.sluice.requestId, notBackground);
  }

  async inputItems(req: IdRequest, reply: FastifyReply): Promise<void> {
    const owned = await this.owned(req, reply);
    if (!owned) return;
    if (owned.mode === 'native') return this.forward(req, reply, owned, 'GET', '/input_items');
    const query = new URL(req.url, 'http://gateway').searchParams;
    const input = (owned.input ?? []) as { id?: unknown }[];
    const items = query.get('order') === 'asc' ? input : [...input].reverse();
    const after = query.get('after');
    const from = after ? items.findIndex((i) => i.id === after) + 1 : 0;
    const limit = Math.min(Math.max(Number(query.get('limit')) || 20, 1), 100);
    const data = items.slice(from, from + limit);
    this.sendJson(reply, req.sluice.requestId, {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: from + limit < items.length,
    });
  }

  /** `POST /v1/responses/input_tokens`: native only (its provider counts); a previous_response_id must be the key's. */
  async inputTokens(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const ctx = req.sluice;
    const parsed = parseModelBody(req.body as Buffer | undefined);
    if (!parsed.ok) return sendError(reply, ctx.requestId, parsed.error);
    const body = parsed.body;
    const refused = upstreamStateRefusal(body);
    if (refused) return sendError(reply, ctx.requestId, refused.error);
    const access = await this.authorizer.access({
      keyHash: hashVirtualKey(ctx.key),
      operation: 'responses',
      clientIp: ctx.clientIp,
      requestId: ctx.requestId,
      model: body.model,
    });
    if (!access.allow) return sendError(reply, ctx.requestId, access.error);
    const route = access.route!;
    if (!route.supportsResponses) return sendError(reply, ctx.requestId, noTokenCount(body.model));
    if (typeof body.previous_response_id === 'string') {
      const previous = await this.find(body.previous_response_id, access.keyId, reply, ctx.requestId);
      if (previous === undefined) return;
      if (previous?.mode !== 'native' || previous.route.providerId !== route.providerId)
        return sendError(reply, ctx.requestId, previousResponseNotFound(body.previous_response_id));
    }
    const upstreamBody = JSON.stringify({ ...body, model: route.upstreamModel });
    await this.ask(req, reply, route, (credential) =>
      responsesRequest(credential, ctx.requestId, 'POST', '/input_tokens', upstreamBody),
    );
  }

  /**
   * The response, if it is this key's; otherwise the answer is sent (401/403 from policy, 404, 503) and null returned.
   */
  private async owned(req: IdRequest, reply: FastifyReply): Promise<StoredResponse | null> {
    const ctx = req.sluice;
    const access = await this.authorizer.access({
      keyHash: hashVirtualKey(ctx.key),
      operation: 'responses',
      clientIp: ctx.clientIp,
      requestId: ctx.requestId,
    });
    if (!access.allow) {
      sendError(reply, ctx.requestId, access.error);
      return null;
    }
    const found = await this.find(req.params.id, access.keyId, reply, ctx.requestId);
    if (found === null) sendError(reply, ctx.requestId, responseNotFound(req.params.id));
    return found ?? null;
  }

  /** null: not this key's; undefined: the store did not answer (503 sent). */
  private async find(
    id: string,
    keyId: string,
    reply: FastifyReply,
    requestId: string,
  ): Promise<StoredResponse | null | undefined> {
    try {
      return await this.store.find(id, keyId);
    } catch {
      sendError(reply, requestId, storeUnavailable);
      return undefined;
    }
  }

  private async forget(req: IdRequest, reply: FastifyReply, owned: StoredResponse): Promise<boolean> {
    try {
      if (await this.store.remove(owned.responseId, owned.keyId)) return true;
      sendError(reply, req.sluice.requestId, responseNotFound(owned.responseId));
    } catch {
      sendError(reply, req.sluice.requestId, storeUnavailable);
    }
    return false;
  }

  /**
   * Asks the response's own provider, with its key; a deletion it confirms (or no longer knows) is forgotten here too.
   */
  private forward(
    req: IdRequest,
    reply: FastifyReply,
    owned: StoredResponse,
    method: 'GET' | 'POST' | 'DELETE',
    suffix: string,
  ): Promise<void> {
    const requestId = req.sluice.requestId;
    const at = req.url.indexOf('?');
    const query = method === 'GET' && at >= 0 ? req.url.slice(at) : '';
    const stream = new URLSearchParams(query).get('stream') === 'true';
    const path = `/${encodeURIComponent(owned.responseId)}${suffix}${query}`;
    return this.ask(
      req,
      reply,
      owned.route as Route,
      (credential) => responsesRequest(credential, requestId, method, path, '', stream),
      async (upstream) => {
        if (method === 'DELETE' && ((upstream.status >= 200 && upstream.status < 300) || upstream.status === 404))
          await this.store.remove(owned.responseId, owned.keyId).catch(() => false);
      },
    );
  }

  /**
   * One request to the provider and its answer relayed, under a call's deadline: an upstream that
   * never answers, or answers and then stalls, is a 504 (and a stream is bounded as a call's is).
   */
  private ask(
    req: FastifyRequest,
    reply: FastifyReply,
    route: Route,
    build: (credential: ResolvedCredential) => UpstreamRequest,
    answered?: (upstream: UpstreamResponse) => Promise<void>,
  ): Promise<void> {
    const requestId = req.sluice.requestId;
    return withinDeadline(this.limits.maxCallMs, async (deadline) => {
      const outcome = await this.dispatch.forward(route, requestId, build, deadline.signal);
      if (!outcome.ok) return sendError(reply, requestId, deadline.passed ? deadline.error : outcome.error);
      await answered?.(outcome.response);
      await this.relay(reply, req.sluice, route, outcome.response, deadline);
    });
  }

  /**
   * The upstream's answer as it came (a stream as it arrives); an error mapped as on every call (no provider key
   * leaks).
   */
  private async relay(
    reply: FastifyReply,
    ctx: RequestContext,
    route: Route,
    upstream: UpstreamResponse,
    deadline: CallDeadline,
  ): Promise<void> {
    const { requestId } = ctx;
    if (upstream.status >= 200 && upstream.status < 300 && isEventStream(upstream.contentType)) {
      deadline.clear();
      return this.relayStream(reply, ctx, route, upstream);
    }
    let bytes: Buffer;
    try {
      bytes = await readBody(upstream, this.limits.maxUpstreamBodyBytes);
    } catch {
      return sendError(reply, requestId, deadline.passed ? deadline.error : GatewayErrors.upstreamBroken);
    }
    if (upstream.status < 200 || upstream.status >= 300)
      return sendError(reply, requestId, upstreamError(upstream.status, bytes));
    reply
      .code(upstream.status)
      .header('content-type', upstream.contentType || 'application/json')
      .header('x-request-id', requestId)
      .header('x-sluice-provider', route.providerId);
    // Null when the client already left.
    if (reply.raw.socket) armClientIdle(reply.raw.socket, this.limits.clientStallMs);
    reply.send(bytes);
  }

  /**
   * A background response streamed again: its events as they come, under the bounds of a call's stream (nothing is
   * billed).
   */
  private async relayStream(
    reply: FastifyReply,
    ctx: RequestContext,
    route: Route,
    upstream: UpstreamResponse,
  ): Promise<void> {
    reply.hijack();
    const events = new NativeEvents(this.limits.maxSseEventBytes);
    const relayed = await relayEvents(reply.raw, upstream, events, {
      requestId: ctx.requestId,
      providerId: route.providerId,
      t0: ctx.t0,
      // Nothing to bill: a client that leaves lets the upstream go.
      drainAfterDisconnectMs: 0,
      maxDurationMs: this.limits.maxStreamMs,
      clientStallMs: this.limits.clientStallMs,
      end: async () => ({ last: events.held ?? brokenEvent(events.lastSequence + 1), trailers: {} }),
    });
    if (relayed.upstreamFailed)
      this.logger.warn(
        { requestId: ctx.requestId, providerId: route.providerId },
        relayed.eventTooLarge
          ? eventTooLargeLog(this.limits.maxSseEventBytes)
          : 'upstream stream broke while relaying a stored response',
      );
  }

  private sendJson(reply: FastifyReply, requestId: string, body: unknown): void {
    reply
      .code(200)
      .header('content-type', 'application/json')
      .header('x-request-id', requestId)
      .send(JSON.stringify(body));
  }
}
