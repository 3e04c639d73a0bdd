import type { OpenAiError } from '@sluice/contracts';
import type { ResolvedCredential } from '../../credentials/resolved-credential';
import type { UpstreamRequest } from '../openai-compatible/openai-compatible';
import { upstreamCap } from '../output-cap';
import { MAX_SSE_EVENT_BYTES } from '../sse-event-bound';
import { isEventStream, readBody, type UpstreamCall, type UpstreamResponse } from '../upstream';
import type { TokenCounts } from '../../usage/token-counts';
import { tokensFromAnthropicUsage } from './anthropic-tokens';
import { ANTHROPIC_VERSION, MESSAGES_PATH, type AnthropicReply } from './anthropic-wire';
import { anthropicRequest } from './request-mapping';
import { chatCompletion, openAiErrorBody, openAiStatus } from './response-mapping';
import { AnthropicSseTranslator, translateStream } from './sse-translator';

/** A message is small; this only bounds what the gateway holds while translating it. */
const MAX_REPLY_BYTES = 16 * 1024 * 1024;

const notSupported = (op: string): OpenAiError => ({
  status: 400,
  type: 'invalid_request_error',
  code: 'unsupported_operation',
  param: 'model',
  message: `This model's provider is Anthropic, which serves only chat completions (/v1/chat/completions); /v1/${op} is not supported for it.`,
});

/** The request, or the 400 a client gets before anything is sent upstream. */
export function anthropicUpstreamRequest(
  call: UpstreamCall,
  credential: ResolvedCredential,
): { ok: true; request: UpstreamRequest } | { ok: false; error: OpenAiError } {
  if (call.op !== 'chat') return { ok: false, error: notSupported(call.op) };
  const mapped = anthropicRequest(
    call.body,
    call.route.upstreamModel,
    upstreamCap(call)?.value ?? call.route.maxOutputTokens,
    call.stream,
  );
  if (!mapped.ok) return mapped;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: call.stream ? 'text/event-stream' : 'application/json',
    'anthropic-version': ANTHROPIC_VERSION,
    'user-agent': 'sluice-gateway/0.1',
    'x-request-id': call.requestId,
  };
  if (credential.apiKey) headers['x-api-key'] = credential.apiKey;
  return {
    ok: true,
    request: {
      origin: credential.origin,
      path: credential.basePath.replace(/\/v1$/, '') + MESSAGES_PATH,
      headers,
      body: JSON.stringify(mapped.body),
    },
  };
}

/**
 * Anthropic's answer in OpenAI's shape, so the gateway's JSON path, SSE relay and error mapping
 * serve it unchanged: a stream is translated as it flows, a JSON reply or an error body once read
 * (bounded). The call is billed from the tokens Anthropic reported, read here (`reportedTokens`):
 * OpenAI's usage has no field for its cache writes.
 */
export function asOpenAi(
  upstream: UpstreamResponse,
  created: number,
  maxEventBytes = MAX_SSE_EVENT_BYTES,
): UpstreamResponse {
  if (upstream.status === 200 && isEventStream(upstream.contentType)) {
    const translator = new AnthropicSseTranslator(created, maxEventBytes);
    return {
      ...upstream,
      contentType: 'text/event-stream',
      body: translateStream(upstream.body, created, maxEventBytes, translator),
      reportedTokens: () => translator.reportedTokens(),
    };
  }
  const ok = upstream.status >= 200 && upstream.status < 300;
  let tokens: TokenCounts | null = null;
  return {
    status: ok ? upstream.status : openAiStatus(upstream.status),
    contentType: 'application/json',
    abort: upstream.abort,
    body: (async function* () {
      const bytes = await readBody(upstream, MAX_REPLY_BYTES);
      if (ok) {
        const reply = JSON.parse(bytes.toString('utf8')) as AnthropicReply;
        tokens = tokensFromAnthropicUsage(reply?.usage);
        yield Buffer.from(JSON.stringify(chatCompletion(reply, created, tokens)));
      } else yield Buffer.from(JSON.stringify(openAiErrorBody(bytes) ?? {}));
    })(),
    reportedTokens: () => tokens,
  };
}
