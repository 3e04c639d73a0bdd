import { initTelemetry, contextFromTraceparent, SpanKind, SpanStatusCode, traceparentOf, type Span } from '@sluice/telemetry';
import type { Operation, UsageMessage } from '@sluice/contracts';

const tracer = initTelemetry('gateway');

/** OpenTelemetry GenAI operation names for Sluice's operations. */
const GENAI_OPERATION: Record<Operation, string> = { chat: 'chat', completions: 'text_completion', embeddings: 'embeddings', responses: 'chat' };

/**
 * One span per model call, named and attributed after the OpenTelemetry GenAI conventions, as a
 * child of the caller's `traceparent` when it sent one. Never carries a key, a prompt or a reply.
 */
export function startCallSpan(op: Operation, model: string, requestId: string, incomingTraceparent: string | undefined): { span: Span; traceparent?: string } {
  const span = tracer.startSpan(
    `${GENAI_OPERATION[op]} ${model}`,
    {
      kind: SpanKind.CLIENT,
      attributes: { 'gen_ai.operation.name': GENAI_OPERATION[op], 'gen_ai.request.model': model, 'sluice.request_id': requestId },
    },
    contextFromTraceparent(incomingTraceparent),
  );
  return { span, traceparent: traceparentOf(span) };
}

export function endCallSpan(span: Span, usage: UsageMessage | null, status: number): void {
  if (span.isRecording()) {
    span.setAttribute('http.response.status_code', status);
    if (usage) {
      span.setAttributes({
        'sluice.key_id': usage.keyId,
        'sluice.provider_id': usage.providerId,
        'gen_ai.response.model': usage.upstreamModel,
        'gen_ai.usage.input_tokens': usage.inputTokens,
        'gen_ai.usage.output_tokens': usage.outputTokens,
      });
    }
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
