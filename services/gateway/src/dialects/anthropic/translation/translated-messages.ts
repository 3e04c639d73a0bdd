import type { FastifyReply } from 'fastify';
import type { UsageMessage } from '@sluice/contracts';
import type { Logger } from '@sluice/service';
import { GatewayErrors } from '../../../errors/gateway-errors';
import { armClientIdle } from '../../../edge/client-idle';
import { withinDeadline, type CallDeadline } from '../../../pipeline/call-deadline';
import { costHeaders } from '../../../pipeline/cost-headers';
import { answered } from '../../../pipeline/failed-call';
import { readAnswer } from '../../../pipeline/read-answer';
import { isEventStream, reportedTokens, type UpstreamResponse } from '../../../providers/upstream';
import type { UpstreamDispatch } from '../../../providers/upstream-dispatch';
import { upstreamError } from '../../../providers/upstream-errors';
import { settleTokens } from '../../../usage/estimate';
import { NOTHING_GENERATED } from '../../../usage/generated-output';
import { generatedOfJson, usageFromJson } from '../../../usage/usage-from-json';
import type { CallFacts, FinishCall } from '../../../usage/usage-message';
import { worstCaseBilled } from '../../../usage/worst-case';
import type { InferenceLimits } from '../../openai/openai-dialect';
import { refuseCall } from '../anthropic-errors';
import { relayMessages } from '../messages-relay';
import type { MessagesRequest } from '../messages-request';
import { ChatToMessagesStream } from './chat-stream';
import { chatRequest } from './to-chat';
import { anthropicMessage } from './to-message';

/**
 * Messages to a provider that speaks OpenAI's chat completions (OpenAI, Azure, any compatible
 * server, the built-in mock): the body translated once, the call made through the same provider
 * path chat takes, and the answer translated back — a stream event by event as it arrives. The
 * call is billed from the upstream's own usage, as a chat call would be.
 */
export class MessagesTranslation {
  constructor(
    private readonly dispatch: UpstreamDispatch,
    private readonly limits: InferenceLimits,
    private readonly logger: Logger,
  ) {}

  serve(call: CallFacts, request: MessagesRequest, reply: FastifyReply, finish: FinishCall): Promise<UsageMessage> {
    return withinDeadline(this.limits.maxCallMs, (deadline) =>
      this.serveWithin(call, request, reply, finish, deadline),
    );
  }

  private async serveWithin(
    call: CallFacts,
    request: MessagesRequest,
    reply: FastifyReply,
    finish: FinishCall,
    deadline: CallDeadline,
  ): Promise<UsageMessage> {
    const mapped = chatRequest(request.body, call.route);
    if (!mapped.ok) return refuseCall(reply, call, mapped.error, finish);
    const body = mapped.body;
    const outcome = answered(
      await this.dispatch.open({
        op: 'chat',
        body,
        stream: request.stream,
        requestId: call.requestId,
        route: call.route,
        signal: deadline.signal,
      }),
      deadline,
      call,
    );
    if (!outcome.ok) return refuseCall(reply, call, outcome.error, finish, outcome.billed);
    const upstream = outcome.response;
    // Settled as the chat call it became: the same estimates apply when the upstream leaves usage out.
    const settling = { op: 'chat' as const, route: call.route };
    const id = `msg_${call.callId.replaceAll('-', '')}`;
    if (!request.stream || upstream.status !== 200 || !isEventStream(upstream.contentType))
      return this.json(reply, upstream, call, request, body, id, finish, deadline);
    deadline.clear();
    const stream = new ChatToMessagesStream(id, request.model, this.limits.maxSseEventBytes);
    return relayMessages(reply, upstream, call, this.limits, this.logger, finish, {
      scanner: stream,
      settle: (relayed) => ({
        status: relayed.upstreamFailed ? 502 : 200,
        ...settleTokens(
          settling,
          body,
          reportedTokens(upstream, () => relayed.usage),
          relayed.generated,
        ),
      }),
      ending: (upstreamFailed, usage, broken) => stream.ending(upstreamFailed, usage ?? null, broken),
    });
  }

  private async json(
    reply: FastifyReply,
    upstream: UpstreamResponse,
    call: CallFacts,
    request: MessagesRequest,
    body: Record<string, unknown>,
    id: string,
    finish: FinishCall,
    deadline: CallDeadline,
  ): Promise<UsageMessage> {
    const read = await readAnswer(upstream, call, {
      maxBytes: this.limits.maxUpstreamBodyBytes,
      deadline,
      logger: this.logger,
    });
    if (!read.ok) return refuseCall(reply, call, read.error, finish, read.billed);
    const bytes = read.bytes;
    if (upstream.status < 200 || upstream.status >= 300) {
      if (upstream.status === 401 || upstream.status === 403)
        this.logger.error(
          { requestId: call.requestId, providerId: call.route.providerId, upstreamStatus: upstream.status },
          'upstream refused the provider credential',
        );
      return refuseCall(reply, call, upstreamError(upstream.status, bytes), finish);
    }
    let completion: Parameters<typeof anthropicMessage>[0];
    try {
      completion = JSON.parse(bytes.toString('utf8'));
    } catch {
      // A 2xx the gateway cannot read is still a call the upstream served and bills.
      return refuseCall(
        reply,
        call,
        { ...GatewayErrors.upstreamBroken, message: 'The upstream provider answered with a body that is not JSON.' },
        finish,
        worstCaseBilled(call),
      );
    }
    const reported = reportedTokens(upstream, () => usageFromJson(bytes));
    const generated = reported !== null && reported.outputTokens > 0 ? NOTHING_GENERATED : generatedOfJson(bytes);
    const settled = settleTokens({ op: 'chat', route: call.route }, body, reported, generated);
    const usage = await finish({ status: 200, ...settled, ttfbMs: null });
    reply
      .code(200)
      .header('content-type', 'application/json')
      .header('request-id', call.requestId)
      .header('x-request-id', call.requestId)
      .header('x-sluice-provider', call.route.providerId);
    reply.headers(costHeaders(call, usage.costNanos));
    // Null when the client already left.
    if (reply.raw.socket) armClientIdle(reply.raw.socket, this.limits.clientStallMs);
    reply.send(JSON.stringify(anthropicMessage(completion, id, request.model, settled.tokens)));
    return usage;
  }
}
