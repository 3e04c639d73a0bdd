import type { CallReply, CallRequest } from '../../pipeline/exchange';
import type { OpenAiError, Operation, UsageMessage } from '@sluice/contracts';
import type { CallDeadline } from '../../pipeline/call-deadline';
import type { Dialect } from '../../pipeline/dialect';
import type { CallFacts, FinishCall } from '../../usage/usage-message';
import { sendAnthropicError } from './anthropic-errors';
import { parseMessagesRequest, type MessagesRequest } from './messages-request';
import type { AnthropicPassthrough } from './passthrough/passthrough';
import { anthropicLimitHeaders } from './rate-limit-headers';
import type { MessagesTranslation } from './translation/translated-messages';

/**
 * Anthropic's Messages API (`POST /v1/messages`), what Claude Code and the Anthropic SDKs speak:
 * native to `anthropic` providers (the client's bytes, only the model mapped), translated to chat
 * completions for every other provider. Errors and rate-limit headers in Anthropic's shape.
 */
export class MessagesDialect implements Dialect<MessagesRequest> {
  constructor(
    private readonly passthrough: AnthropicPassthrough,
    private readonly translation: MessagesTranslation,
    private readonly now: () => number = Date.now,
  ) {}

  parse(_op: Operation, raw: Buffer | undefined, req: CallRequest) {
    return parseMessagesRequest(raw, req);
  }

  sendError(reply: CallReply, requestId: string, error: OpenAiError): void {
    sendAnthropicError(reply, requestId, error);
  }

  limitHeaders(headers: Record<string, string>): Record<string, string> {
    return anthropicLimitHeaders(headers, this.now());
  }

  serve(
    call: CallFacts,
    request: MessagesRequest,
    reply: CallReply,
    finish: FinishCall,
    deadline: CallDeadline,
  ): Promise<UsageMessage> {
    return call.route.providerType === 'anthropic'
      ? this.passthrough.serve(call, request, reply, finish, deadline)
      : this.translation.serve(call, request, reply, finish, deadline);
  }
}
