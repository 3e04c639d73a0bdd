import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashVirtualKey, type Operation } from '@sluice/contracts';
import type { Logger } from '@sluice/service';
import type { Authorizer } from '../authorize/authorizer';
import { isEventStream } from '../providers/upstream';
import type { UpstreamDispatch } from '../providers/upstream-dispatch';
import { relaySse } from '../streaming/sse-relay';
import { estimatePromptTokens, maxOutputTokensOf, settleTokens } from '../usage/estimate';
import { NO_TOKENS, tokensFromUsage } from '../usage/token-counts';
import { callerTagsOf } from '../usage/caller-tags';
import { usageMessage, type CallFacts, type CallResult } from '../usage/usage-message';
import type { UsagePublisher } from '../usage/usage-publisher';
import { beginRecord } from '../usage/spool/spool-records';
import type { UsageSpool } from '../usage/spool/usage-spool';
import { answerTimedOut, CallDeadline } from './call-deadline';
import { parseInferenceRequest, type InferenceRequest } from './inference-request';
import { GatewayErrors } from './openai-errors';
import { costHeaderNames, costHeaders } from './cost-headers';
import { respondJson } from './respond-json';
import { sendError } from './send-error';
import { endCallSpan, startCallSpan } from '../telemetry/call-span';

export interface InferenceLimits {
  maxUpstreamBodyBytes: number;
  drainAfterDisconnectMs: number;
  clientStallMs: number;
  maxCallMs: number;
  maxStreamMs: number;
  maxSseEventBytes: number;
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
    const clientIp = ctx.clientIp;
    const { span, traceparent } = startCallSpan(op, request.model, ctx.requestId, headerOf(req, 'traceparent'));
    const estimate = { inputTokens: estimatePromptTokens(op, request.body), maxOutputTokens: maxOutputTokensOf(request.body) };
    const decision = await this.authorizer.authorize(
      { keyHash: hashVirtualKey(ctx.key), model: request.model, operation: op, clientIp, requestId: ctx.requestId, callId: ctx.callId, estimate },
      traceparent,
    );
    if (!decision.allow) {
      endCallSpan(span, null, decision.error.status);
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
      tags: callerTagsOf(ctx.clientRequestId, req.headers, request.body),
    };
    // Written down before the upstream can bill anything, so a killed gateway's successor reports it.
    this.spool.begin(beginRecord(call, estimate));
    let result: Omit<CallResult, 'latencyMs'>;
    try {
      result = await this.serve(call, request, reply, ctx.t0);
    } catch (err) {
      this.logger.error({ requestId: call.requestId, err: (err as Error).message }, 'proxying failed');
      if (!reply.sent && !reply.raw.headersSent) sendError(reply, call.requestId, GatewayErrors.internal);
      result = { status: 500, tokens: NO_TOKENS, estimated: false, ttfbMs: null };
    }
    const usage = usageMessage(call, { ...result, latencyMs: performance.now() - ctx.t0 });
    this.spool.end(usage);
    this.authorizer.inFlight.release(call.callId);
    this.publisher.publish(usage);
    endCallSpan(span, usage, result.status);
  }

  private async serve(call: CallFacts, request: InferenceRequest, reply: FastifyReply, t0: number): Promise<Omit<CallResult, 'latencyMs'>> {
    // A stream is bounded by maxStreamMs once it flows; a JSON answer by one deadline for the whole call.
    const deadline = request.stream ? undefined : new CallDeadline(this.limits.maxCallMs);
    try {
      return await this.serveWithin(call, request, reply, t0, deadline);
    } finally {
      deadline?.clear();
    }
  }

  private async serveWithin(call: CallFacts, request: InferenceRequest, reply: FastifyReply, t0: number, deadline: CallDeadline | undefined): Promise<Omit<CallResult, 'latencyMs'>> {
    const outcome = await this.dispatch.open({ op: call.op, body: request.body, stream: request.stream, requestId: call.requestId, route: call.route, signal: deadline?.signal });
    if (deadline?.passed) return answerTimedOut(reply, call, request.body, deadline);
    if (!outcome.ok) {
      sendError(reply, call.requestId, outcome.error);
      return { status: outcome.error.status, tokens: NO_TOKENS, estimated: false, ttfbMs: null };
    }
    const upstream = outcome.response;
    if (!request.stream || upstream.status !== 200 || !isEventStream(upstream.contentType)) {
      return respondJson(reply, upstream, call, request.body, { maxBytes: this.limits.maxUpstreamBodyBytes, clientStallMs: this.limits.clientStallMs, deadline, logger: this.logger });
    }
    reply.hijack();
    const relayed = await relaySse(reply.raw, upstream, {
      requestId: call.requestId,
      providerId: call.route.providerId,
      clientWantsUsage: request.includeUsage,
      t0,
      drainAfterDisconnectMs: this.limits.drainAfterDisconnectMs,
      maxDurationMs: this.limits.maxStreamMs,
      maxEventBytes: this.limits.maxSseEventBytes,
      clientStallMs: this.limits.clientStallMs,
      trailers: call.route.price && {
        names: costHeaderNames(call),
        values: (usage, generatedChars) => costHeaders(call, settleTokens(call.op, request.body, tokensFromUsage(usage), generatedChars).tokens),
      },
    });
    if (relayed.upstreamFailed) {
      const why = relayed.eventTooLarge ? `upstream sent an SSE event above ${this.limits.maxSseEventBytes} bytes` : 'upstream stream broke after it began';
      this.logger.warn({ requestId: call.requestId, providerId: call.route.providerId }, why);
    }
    const settled = settleTokens(call.op, request.body, tokensFromUsage(relayed.usage), relayed.generatedChars);
    return { status: relayed.upstreamFailed ? 502 : 200, ...settled, ttfbMs: relayed.ttfbMs };
  }
}

function headerOf(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}
