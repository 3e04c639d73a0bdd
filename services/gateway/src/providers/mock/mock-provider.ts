import {
  mockChatChunks,
  mockChatCompletion,
  mockCompletion,
  mockCompletionChunks,
  mockEmbeddings,
} from '@sluice/mock-llm';
import type { ChatBody, CompletionBody, EmbeddingsBody } from '@sluice/mock-llm';
import { capOutput, upstreamCap } from '../output-cap';
import type { UpstreamCall, UpstreamResponse } from '../upstream';

const noop = (): void => {};

/**
 * The built-in `mock` provider: the fake model runs in-process, no network, no credential. It
 * answers in the same bytes an OpenAI-compatible upstream would, so the rest of the proxy path
 * (usage extraction, SSE relay) is exercised exactly as with a real provider.
 */
export function openMock(call: UpstreamCall): UpstreamResponse {
  const body = call.body;
  body.model = call.route.upstreamModel;
  const cap = upstreamCap(call);
  if (cap) capOutput(body, { field: 'max_tokens', value: cap.value });
  if (!call.stream) {
    const json =
      call.op === 'chat'
        ? mockChatCompletion(body as unknown as ChatBody)
        : call.op === 'completions'
          ? mockCompletion(body as unknown as CompletionBody)
          : mockEmbeddings(body as unknown as EmbeddingsBody);
    return { status: 200, contentType: 'application/json', body: [Buffer.from(JSON.stringify(json))], abort: noop };
  }
  body.stream_options = { include_usage: true };
  const chunks =
    call.op === 'chat'
      ? mockChatChunks(body as unknown as ChatBody)
      : mockCompletionChunks(body as unknown as CompletionBody);
  let sse = '';
  for (const chunk of chunks) sse += `data: ${JSON.stringify(chunk)}\n\n`;
  sse += 'data: [DONE]\n\n';
  return { status: 200, contentType: 'text/event-stream', body: [Buffer.from(sse)], abort: noop };
}
