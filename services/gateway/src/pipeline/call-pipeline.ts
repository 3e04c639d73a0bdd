import type { CallReply, CallRequest } from './exchange';
import { hashVirtualKey, type Operation, type UsageMessage } from '@sluice/contracts';
import type { Logger } from '@sluice/service';
import type { Authorizer } from '../authorize/authorizer';
import { GatewayErrors } from '../errors/gateway-errors';
import { withSpan } from '@sluice/telemetry';
import { startCallSpan } from '../telemetry/call-span';
import { callEnded, callRefused } from '../telemetry/call-telemetry';
import { callerTagsOf } from '../usage/caller-tags';
import { NO_TOKENS } from '../usage/token-counts';
import { usageMessage, type CallFacts, type CallResult, type FinishCall } from '../usage/usage-message';
import type { UsagePublisher } from '../usage/usage-publisher';
import { beginRecord } from '../usage/spool/spool-records';
import type { UsageSpool } from '../usage/spool/usage-spool';
import { worstCaseOf } from '../usage/worst-case';
import { withinDeadline } from './call-deadline';
import type { Dialect, DialectRequest } from './dialect';

/**
 * Every inference call, whatever its dialect: parse (the dialect) → authorize (one NATS round trip
 * to policy, which also routes) → upstream (the dialect, natively or bridged, under the call's one
 * deadline) → meter (one usage message for every authorized call: built and the call priced once
 * and written to the usage spool, before the response's last bytes; published to JetStream with the
 * early settlement of a call holding a reservation, otherwise once the client has its answer).
 */
export class CallPipeline {
  constructor(
    private readonly authorizer: Authorizer,
    private readonly publisher: UsagePublisher,
    private readonly spool: UsageSpool,
    private readonly logger: Logger,
    /** Every call's deadline until its answer is read (a stream's until it flows). */
    private readonly maxCallMs: number,
  ) {}

  async handle<R extends DialectRequest>(
    dialect: Dialect<R>,
    op: Operation,
    req: CallRequest,
    reply: CallReply,
  ): Promise<void> {
    const ctx = req.sluice;
    let parsed = dialect.parse(op, req.body as Buffer | undefined, req);
    if (parsed.ok && dialect.prepare) parsed = await dialect.prepare(parsed.request, req);
    if (!parsed.ok) return dialect.sendError(reply, ctx.requestId, parsed.error);
    const request = parsed.request;
    // Refused before authorize: a value metering could not store must never become a billed call.
    const tags = callerTagsOf(ctx.clientRequestId, req.headers, request.user);
    if (!tags.ok) return dialect.sendError(reply, ctx.requestId, tags.error);
    const clientIp = ctx.clientIp;
    const { span, traceparent } = startCallSpan(op, ctx.requestId, headerOf(req, 'traceparent'));
    const estimate = request.estimate;
    const decision = await this.authorizer.authorize(
      {
        keyHash: hashVirtualKey(ctx.key),
        model: request.model,
        operation: op,
        clientIp,
        requestId: ctx.requestId,
        callId: ctx.callId,
        estimate,
      },
      traceparent,
    );
    if (!decision.allow) {
      callRefused(span, op, decision);
      if (decision.headers) reply.headers(dialect.limitHeaders(decision.headers));
      return dialect.sendError(reply, ctx.requestId, decision.error);
    }
    // On the raw response, so the JSON answer, the SSE stream and an upstream error all carry them.
    if (decision.limits)
      for (const [name, value] of Object.entries(dialect.limitHeaders(decision.limits.headers)))
        reply.raw.setHeader(name, value);

    const call: CallFacts = {
      requestId: ctx.requestId,
      callId: ctx.callId,
      keyId: decision.keyId,
      model: request.model,
      route: decision.route,
      limits: decision.limits,
      op,
      stream: request.stream,
      worstCase: worstCaseOf({ op, limits: decision.limits, route: decision.route }, estimate),
      clientIp,
      startedAt: ctx.startedAt,
      t0: ctx.t0,
      tags: tags.tags,
      traceparent,
    };
    // Written down before the upstream can bill anything, so a killed gateway's successor reports it.
    await this.spool.begin(beginRecord(call));
    let finished: Promise<UsageMessage> | undefined;
    // Once per call (a failure after the call was finished does not price it again), before the
    // response's last bytes: policy settles a call holding a reservation before its client can call again.
    const finish: FinishCall = (result) =>
      (finished ??= this.finish(call, { ...result, latencyMs: performance.now() - ctx.t0 }));
    let usage: UsageMessage;
    const upstreamStart = performance.now();
    try {
      usage = await withSpan(span, () =>
        withinDeadline(this.maxCallMs, (deadline) => dialect.serve(call, request, reply, finish, deadline)),
      );
    } catch (err) {
      this.logger.error({ requestId: call.requestId, err: (err as Error).message }, 'proxying failed');
      usage = await finish({ status: 500, tokens: NO_TOKENS, estimated: false, ttfbMs: null });
      if (!reply.sent && !reply.raw.headersSent) dialect.sendError(reply, call.requestId, GatewayErrors.internal);
    }
    this.publisher.publish(usage);
    this.authorizer.callEnded(usage);
    callEnded(span, usage, call.route, decision.keyName ?? '', performance.now() - upstreamStart);
  }

  /**
   * The call's usage goes into the spool before anyone learns its cost (policy's early settlement,
   * the client's answer and cost header): a gateway killed after either would otherwise leave only
   * the begin record, and its successor would bill the worst case for a call charged its real cost.
   */
  private async finish(call: CallFacts, result: CallResult): Promise<UsageMessage> {
    const usage = usageMessage(call, result);
    await this.spool.end(usage);
    if (call.limits?.reservation) await this.publisher.settleNow(usage, call.limits.confirmSettlement === true);
    return usage;
  }
}

function headerOf(req: CallRequest, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}
