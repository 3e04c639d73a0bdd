import type { CallReply } from '../../../pipeline/exchange';
import type { UsageMessage } from '@sluice/contracts';
import type { Logger } from '@sluice/service';
import { GatewayErrors } from '../../../errors/gateway-errors';
import type { CallDeadline } from '../../../pipeline/call-deadline';
import { answered } from '../../../pipeline/failed-call';
import { answerJson } from '../../../pipeline/json-answer';
import { isEventStream } from '../../../providers/upstream';
import { reportedTokens } from '../../../usage/token-counts';
import type { UpstreamDispatch } from '../../../providers/upstream-dispatch';
import { settleJson, settleTokens } from '../../../usage/estimate';
import type { CallFacts, FinishCall } from '../../../usage/usage-message';
import { worstCaseBilled } from '../../../usage/worst-case';
import type { InferenceLimits } from '../../openai/openai-dialect';
import { ANTHROPIC_ANSWERS, refuseCall } from '../anthropic-errors';
import { relayMessages } from '../messages-relay';
import type { MessagesRequest } from '../messages-request';
import { ChatToMessagesStream } from './chat-stream';
import { chatRequest } from './to-chat';
import { anthropicMessage } from './to-message';

const NOT_JSON = {
  ...GatewayErrors.upstreamBroken,
  message: 'The upstream provider answered with a body that is not JSON.',
};

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

  async serve(
    call: CallFacts,
    request: MessagesRequest,
    reply: CallReply,
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
      return answerJson(reply, upstream, call, finish, {
        ...ANTHROPIC_ANSWERS,
        limits: this.limits,
        deadline,
        logger: this.logger,
        served: (bytes) => {
          let completion: Parameters<typeof anthropicMessage>[0];
          try {
            completion = JSON.parse(bytes.toString('utf8'));
          } catch {
            // A 2xx the gateway cannot read is still a call the upstream served and bills.
            return { ok: false, error: NOT_JSON, billed: worstCaseBilled(call) };
          }
          const billed = settleJson(settling, body, bytes, upstream);
          const message = anthropicMessage(completion, id, request.model, billed.tokens);
          return { ok: true, billed, body: JSON.stringify(message) };
        },
      });
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
}
