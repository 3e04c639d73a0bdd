import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashVirtualKey, type Operation } from '@sluice/contracts';
import type { Logger } from '@sluice/service';
import type { Authorizer } from '../authorize/authorizer';
import { isEventStream } from '../providers/upstream';
import type { UpstreamDispatch } from '../providers/upstream-dispatch';
import { relaySse } from '../streaming/sse-relay';
import { callEstimate, settleTokens } from '../usage/estimate';
import { NO_TOKENS, tokensFromUsage } from '../usage/token-counts';
import { callerTagsOf } from '../usage/caller-tags';
import { usageMessage, type CallFacts, type CallResult } from '../usage/usage-message';
import type { UsagePublisher } from '../usage/usage-publisher';
import { beginRecord } from '../usage/spool/spool-records';
import type { UsageSpool } from '../usage/spool/usage-spool';
import { parseInferenceRequest, type InferenceRequest } from './inference-request';
import { GatewayErrors } from './openai-errors';
import { costHeaderNames, costHeaders } from './cost-headers';
import { respondJson } from './respond-json';
import { sendError } from './send-error';
import { withSpan } from '@sluice/telemetry';
import { startCallSpan } from '../telemetry/call-span';
import { callEnded, callRefused } from '../telemetry/call-telemetry';

export interface InferenceLimits {
  maxUpstreamBodyBytes: number;
  drainAfterDisconnectMs: number;
  maxStreamMs: number;
}

/**
 * POST /v1/chat/completions, /v1/completions, /v1/embeddings: validate, one authorize round trip,
 * the upstream call, the answer (JSON or SSE), then one usage message for every authorized call,
 * sent after the client has its response and written to the usage spool on the way.
 */
export class InferenceRoute {
  constructor(
    private readonly authorizer: Authorizer,
    private readonly dispatch: UpstreamDispatch,
    private readonly publisher: UsagePublisher,
    private readonly spool: UsageSpool,
    private readonly limits: InferenceLimits,
    private readonly logger: Logger,
  ) {}

  async handle(op: Operation, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const ctx = req.sluice;
    const parsed = parseInferenceRequest(op, req.body as Buffer | undefined);
    if (!parsed.ok) return sendError(reply, ctx.requestId, parsed.error);
    const request = parsed.request;
    // Refused before authorize: a value metering could not store must never become a billed call.
    const tags = callerTagsOf(ctx.clientRequestId, req.headers, request.body);
    if (!tags.ok) return sendError(reply, ctx.requestId, tags.error);
    const clientIp = ctx.clientIp;
    const { span, traceparent } = startCallSpan(op, request.model, ctx.requestId, headerOf(req, 'traceparent'));
    const estimate = callEstimate(op, request.body);
    const decision = await this.authorizer.authorize(
      { keyHash: hashVirtualKey(ctx.key), model: request.model, operation: op, clientIp, requestId: ctx.requestId, callId: ctx.callId, estimate },
      traceparent,
    );
    if (!decision.allow) {
      callRefused(span, op, decision);
      if (decision.headers) reply.headers(decision.headers);
      return sendError(reply, ctx.requestId, decision.error);
    }
    // On the raw response, so the JSON answer, the SSE stream and an upstream error all carry them.
    if (decision.limits) for (const [name, value] of Object.entries(decision.limits.headers)) reply.raw.setHeader(name, value);

    const call: CallFacts = {
      requestId: ctx.requestId,
      callId: ctx.callId,
      keyId: decision.keyId,
      model: request.model,
      route: decision.route,
      limits: decision.limits,
      op,
      stream: request.stream,
      clientIp,
      startedAt: ctx.startedAt,
      tags: tags.tags,
      traceparent,
    };
    // Written down before the upstream can bill anything, so a killed gateway's successor reports it.
    this.spool.begin(beginRecord(call, estimate));
    let result: Omit<CallResult, 'latencyMs'>;
    const upstreamStart = performance.now();
    try {
      result = await withSpan(span, () => this.serve(call, request, reply, ctx.t0));
    } catch (err) {
      this.logger.error({ requestId: call.requestId, err: (err as Error).message }, 'proxying failed');
      if (!reply.sent && !reply.raw.headersSent) sendError(reply, call.requestId, GatewayErrors.internal);
      result = { status: 500, tokens: NO_TOKENS, estimated: false, ttfbMs: null };
    }
    const ended = performance.now();
    const usage = usageMessage(call, { ...result, latencyMs: ended - ctx.t0 });
    this.spool.end(usage);
    this.authorizer.inFlight.release(call.callId);
    this.publisher.publish(usage);
    callEnded(span, usage, call.route, decision.keyName ?? '', ended - upstreamStart);
  }

  private async serve(call: CallFacts, request: InferenceRequest, reply: FastifyReply, t0: number): Promise<Omit<CallResult, 'latencyMs'>> {
    const outcome = await this.dispatch.open({ op: call.op, body: request.body, stream: request.stream, requestId: call.requestId, route: call.route });
    if (!outcome.ok) {
      sendError(reply, call.requestId, outcome.error);
      return { status: outcome.error.status, tokens: NO_TOKENS, estimated: false, ttfbMs: null };
    }
    const upstream = outcome.response;
    if (!request.stream || upstream.status !== 200 || !isEventStream(upstream.contentType)) {
      return respondJson(reply, upstream, call, request.body, this.limits.maxUpstreamBodyBytes, this.logger);
    }
    reply.hijack();
    const relayed = await relaySse(reply.raw, upstream, {
      requestId: call.requestId,
      providerId: call.route.providerId,
      clientWantsUsage: request.includeUsage,
      t0,
      drainAfterDisconnectMs: this.limits.drainAfterDisconnectMs,
      maxDurationMs: this.limits.maxStreamMs,
      trailers: call.route.price && {
        names: costHeaderNames(call),
        values: (usage, generated) => costHeaders(call, settleTokens(call, request.body, tokensFromUsage(usage), generated).tokens),
      },
    });
    if (relayed.upstreamFailed) {
      this.logger.warn({ requestId: call.requestId, providerId: call.route.providerId }, 'upstream stream broke after it began');
    }
    const settled = settleTokens(call, request.body, tokensFromUsage(relayed.usage), relayed.generated);
    return { status: relayed.upstreamFailed ? 502 : 200, ...settled, ttfbMs: relayed.ttfbMs };
  }
}

function headerOf(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}
