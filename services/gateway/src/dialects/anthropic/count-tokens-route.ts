import type { CallReply, CallRequest } from '../../pipeline/exchange';
import { hashVirtualKey, imageTokens, promptTokens, type Route } from '@sluice/contracts';
import type { Authorizer } from '../../authorize/authorizer';
import { GatewayErrors } from '../../errors/gateway-errors';
import { withinDeadline, type CallDeadline } from '../../pipeline/call-deadline';
import { readBody } from '../../providers/upstream';
import { tokenizedPrompt } from '../../usage/estimate';
import { estimatingTokenizer } from '../../usage/tokenizers';
import { sendAnthropicError } from './anthropic-errors';
import { parseMessagesRequest, type MessagesRequest } from './messages-request';
import type { AnthropicPassthrough } from './passthrough/passthrough';
import { chatRequest } from './translation/to-chat';

/** A count is a small JSON object; this only bounds what the gateway holds. */
const MAX_COUNT_BYTES = 64 * 1024;
const ESTIMATE_HEADER = 'x-sluice-token-count';

/**
 * `POST /v1/messages/count_tokens`: what a Messages request's prompt costs in tokens, which Claude
 * Code reads to know when to compact its context. The key must be allowed the model (and the
 * `messages` operation) as for a call, but nothing is counted, reserved or billed: Anthropic does
 * not bill it either. On an `anthropic` route the question goes to Anthropic as it came; on any
 * other it is answered here with the upstream family's tokenizer (else o200k) over the prompt the
 * translation would send, and says so in `x-sluice-token-count: estimate; tokenizer=…`.
 */
export class CountTokensRoute {
  constructor(
    private readonly authorizer: Authorizer,
    private readonly passthrough: AnthropicPassthrough,
    /** A call's deadline, from the request to Anthropic to its answer's last byte. */
    private readonly maxCallMs: number,
  ) {}

  async handle(req: CallRequest, reply: CallReply): Promise<void> {
    const ctx = req.sluice;
    const parsed = parseMessagesRequest(req.body as Buffer | undefined, req, true);
    if (!parsed.ok) return sendAnthropicError(reply, ctx.requestId, parsed.error);
    const request = parsed.request;
    const decision = await this.authorizer.authorize({
      keyHash: hashVirtualKey(ctx.key),
      model: request.model,
      operation: 'messages',
      clientIp: ctx.clientIp,
      requestId: ctx.requestId,
      checkOnly: true,
    });
    if (!decision.allow) return sendAnthropicError(reply, ctx.requestId, decision.error);
    if (decision.route.providerType === 'anthropic') return this.forward(reply, ctx.requestId, decision.route, request);
    const mapped = chatRequest(request.body, decision.route);
    if (!mapped.ok) return sendAnthropicError(reply, ctx.requestId, mapped.error);
    const upstreamModel = decision.route.upstreamModel;
    const tokenizer = estimatingTokenizer(upstreamModel);
    const images = imageTokens(promptTokens('messages', request.body).images, upstreamModel);
    const inputTokens = tokenizedPrompt('chat', mapped.body, tokenizer.count) + images;
    reply
      .code(200)
      .header('content-type', 'application/json')
      .header('request-id', ctx.requestId)
      .header('x-request-id', ctx.requestId)
      .header(ESTIMATE_HEADER, `estimate; tokenizer=${tokenizer.name}`)
      .send(JSON.stringify({ input_tokens: inputTokens }));
  }

  private forward(reply: CallReply, requestId: string, route: Route, request: MessagesRequest): Promise<void> {
    return withinDeadline(this.maxCallMs, (deadline) => this.forwardWithin(reply, requestId, route, request, deadline));
  }

  private async forwardWithin(
    reply: CallReply,
    requestId: string,
    route: Route,
    request: MessagesRequest,
    deadline: CallDeadline,
  ): Promise<void> {
    const path = '/v1/messages/count_tokens';
    const outcome = await this.passthrough.open(route, requestId, request, path, deadline.signal);
    if (!outcome.ok) return sendAnthropicError(reply, requestId, deadline.passed ? deadline.error : outcome.error);
    const upstream = outcome.response;
    let bytes: Buffer;
    try {
      bytes = await readBody(upstream, MAX_COUNT_BYTES);
    } catch {
      return sendAnthropicError(reply, requestId, deadline.passed ? deadline.error : GatewayErrors.upstreamBroken);
    }
    const ok = upstream.status >= 200 && upstream.status < 300;
    const refusal = ok ? null : this.passthrough.upstreamRefusal({ requestId, route }, upstream.status, bytes);
    if (refusal) return sendAnthropicError(reply, requestId, refusal);
    reply
      .code(upstream.status)
      .header('content-type', 'application/json')
      .header('request-id', requestId)
      .header('x-request-id', requestId)
      .header('x-sluice-provider', route.providerId)
      .send(bytes);
  }
}
