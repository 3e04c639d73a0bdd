import type { FastifyReply } from 'fastify';
import type { OpenAiError, Route, UsageMessage } from '@sluice/contracts';
import type { Logger } from '@sluice/service';
import { GatewayErrors, upstreamStatusError } from '../../../errors/gateway-errors';
import { armClientIdle } from '../../../edge/client-idle';
import { withinDeadline, type CallDeadline } from '../../../pipeline/call-deadline';
import { costHeaders } from '../../../pipeline/cost-headers';
import { answered } from '../../../pipeline/failed-call';
import { readAnswer } from '../../../pipeline/read-answer';
import { isEventStream, type UpstreamOutcome, type UpstreamResponse } from '../../../providers/upstream';
import type { UpstreamDispatch } from '../../../providers/upstream-dispatch';
import { NOTHING_GENERATED } from '../../../usage/generated-output';
import { NO_TOKENS } from '../../../usage/token-counts';
import type { CallFacts, FinishCall } from '../../../usage/usage-message';
import type { InferenceLimits } from '../../openai/openai-dialect';
import { refuseCall } from '../anthropic-errors';
import { relayMessages } from '../messages-relay';
import type { MessagesRequest } from '../messages-request';
import { tokensFromAnthropicUsage } from '../../../providers/anthropic/anthropic-tokens';
import { generatedOfMessage, mergeUsage, settleMessages } from './anthropic-usage';
import { MessagesSseScanner } from './messages-scanner';
import { withModel } from './model-bytes';

const NOTHING = Buffer.alloc(0);

/**
 * Messages to an `anthropic` provider, natively: the client's bytes go upstream with only their
 * model changed, and Anthropic's answer — JSON, or its SSE events as they arrive — comes back as
 * the same bytes. Only the usage is read out of it, to bill the call as Anthropic billed it.
 */
export class AnthropicPassthrough {
  constructor(
    private readonly dispatch: UpstreamDispatch,
    private readonly limits: InferenceLimits,
    private readonly logger: Logger,
  ) {}

  /** The call opened on Anthropic's `path`, as the client made it but for the model policy routed to. */
  open(
    route: Route,
    requestId: string,
    request: MessagesRequest,
    path: '/v1/messages' | '/v1/messages/count_tokens',
    signal?: AbortSignal,
  ): Promise<UpstreamOutcome> | UpstreamOutcome {
    const body = withModel(request.raw, route.upstreamModel);
    if (!body) return { ok: false, error: GatewayErrors.internal };
    return this.dispatch.openAnthropic(
      route,
      {
        requestId,
        path,
        body,
        stream: request.stream,
        version: request.version,
        beta: request.beta,
        betaQuery: request.betaQuery,
      },
      signal,
    );
  }

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
    const outcome = answered(
      await this.open(call.route, call.requestId, request, '/v1/messages', deadline.signal),
      deadline,
      call,
    );
    if (!outcome.ok) return refuseCall(reply, call, outcome.error, finish, outcome.billed);
    const upstream = outcome.response;
    if (!request.stream || upstream.status !== 200 || !isEventStream(upstream.contentType))
      return this.json(reply, upstream, call, request, finish, deadline);
    deadline.clear();
    const scanner = new MessagesSseScanner(this.limits.maxSseEventBytes);
    return relayMessages(reply, upstream, call, this.limits, this.logger, finish, {
      scanner,
      settle: (relayed) => {
        const final = scanner.delta ? tokensFromAnthropicUsage(mergeUsage(scanner.start, scanner.delta)) : null;
        const failed = relayed.upstreamFailed || scanner.failed || (scanner.held === null && !relayed.clientGone);
        return {
          status: failed ? 502 : 200,
          ...settleMessages(call, request.body, scanner.start, final, relayed.generated),
        };
      },
      // The held message_stop; an error event when the stream broke or ended without one (unless Anthropic sent its own).
      ending: (upstreamFailed, _usage, broken) =>
        !upstreamFailed && scanner.held ? scanner.held : scanner.failed ? NOTHING : Buffer.from(broken),
    });
  }

  private async json(
    reply: FastifyReply,
    upstream: UpstreamResponse,
    call: CallFacts,
    request: MessagesRequest,
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
      const error = this.upstreamRefusal(call, upstream.status, bytes);
      if (error) return refuseCall(reply, call, error, finish);
      // Anthropic's own error, passed on as it came: its type and words are what the client's SDK knows.
      const usage = await finish({ status: upstream.status, tokens: NO_TOKENS, estimated: false, ttfbMs: null });
      reply
        .code(upstream.status)
        .header('content-type', 'application/json')
        .header('request-id', call.requestId)
        .header('x-request-id', call.requestId)
        .send(bytes);
      return usage;
    }
    let message: { usage?: unknown; content?: unknown } | null = null;
    try {
      message = JSON.parse(bytes.toString('utf8'));
    } catch {
      // billed below as a reply without usage
    }
    const reported = tokensFromAnthropicUsage(message?.usage);
    const generated = reported && reported.outputTokens > 0 ? NOTHING_GENERATED : generatedOfMessage(message);
    const settled = settleMessages(call, request.body, null, reported, generated);
    const usage = await finish({ status: upstream.status, ...settled, ttfbMs: null });
    reply
      .code(upstream.status)
      .header('content-type', upstream.contentType || 'application/json')
      .header('request-id', call.requestId)
      .header('x-request-id', call.requestId)
      .header('x-sluice-provider', call.route.providerId);
    reply.headers(costHeaders(call, usage.costNanos));
    // Null when the client already left.
    if (reply.raw.socket) armClientIdle(reply.raw.socket, this.limits.clientStallMs);
    reply.send(bytes);
    return usage;
  }

  /**
   * An upstream refusal the client must not see as Anthropic sent it: a 401/403 is about the
   * provider's key, not the client's; a body that is not Anthropic's error is the upstream
   * misbehaving. Null: Anthropic's own error, to pass on.
   */
  upstreamRefusal(call: Pick<CallFacts, 'requestId' | 'route'>, status: number, bytes: Buffer): OpenAiError | null {
    if (status === 401 || status === 403) {
      this.logger.error(
        { requestId: call.requestId, providerId: call.route.providerId, upstreamStatus: status },
        'upstream refused the provider credential',
      );
      return GatewayErrors.upstreamRejectedCredentials;
    }
    try {
      const json = JSON.parse(bytes.toString('utf8')) as {
        type?: unknown;
        error?: { type?: unknown; message?: unknown };
      };
      if (
        json?.type === 'error' &&
        typeof json.error?.type === 'string' &&
        typeof json.error.message === 'string' &&
        status >= 400
      )
        return null;
    } catch {
      // not JSON
    }
    return {
      ...upstreamStatusError(status),
      message: `The upstream provider answered with HTTP ${status} and a body that is not an Anthropic error.`,
    };
  }
}
