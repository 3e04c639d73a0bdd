import type { CallReply } from '../../../pipeline/exchange';
import type { OpenAiError, Route, UsageMessage } from '@sluice/contracts';
import type { Logger } from '@sluice/service';
import { GatewayErrors, upstreamStatusError } from '../../../errors/gateway-errors';
import type { CallDeadline } from '../../../pipeline/call-deadline';
import { answered } from '../../../pipeline/failed-call';
import { answerJson } from '../../../pipeline/json-answer';
import { isEventStream, type UpstreamOutcome } from '../../../providers/upstream';
import type { UpstreamDispatch } from '../../../providers/upstream-dispatch';
import { NOTHING_GENERATED } from '../../../usage/generated-output';
import type { CallFacts, FinishCall } from '../../../usage/usage-message';
import type { InferenceLimits } from '../../openai/openai-dialect';
import { ANTHROPIC_ANSWERS, refuseCall } from '../anthropic-errors';
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

  async serve(
    call: CallFacts,
    request: MessagesRequest,
    reply: CallReply,
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
      return answerJson(reply, upstream, call, finish, {
        ...ANTHROPIC_ANSWERS,
        limits: this.limits,
        deadline,
        logger: this.logger,
        // Anthropic's own error is passed on as it came: its type and words are what the client's SDK knows.
        refusal: (status, bytes) => this.upstreamRefusal(call, status, bytes),
        // Anthropic's bytes go back as they came; only the usage is read out of them.
        served: (bytes) => ({ ok: true, billed: settleMessage(call, request.body, bytes), body: bytes }),
      });
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
      // The held message_stop; an error event when the stream broke or ended without one (unless Anthropic sent its
      // own).
      ending: (upstreamFailed, _usage, broken) =>
        !upstreamFailed && scanner.held ? scanner.held : scanner.failed ? NOTHING : Buffer.from(broken),
    });
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

/** A JSON message settled: the usage Anthropic reported, its content read only when that leaves the output out. */
function settleMessage(call: CallFacts, body: Record<string, unknown>, bytes: Buffer) {
  let message: { usage?: unknown; content?: unknown } | null = null;
  try {
    message = JSON.parse(bytes.toString('utf8'));
  } catch {
    // billed as a reply without usage
  }
  const reported = tokensFromAnthropicUsage(message?.usage);
  const generated = reported && reported.outputTokens > 0 ? NOTHING_GENERATED : generatedOfMessage(message);
  return settleMessages(call, body, null, reported, generated);
}
