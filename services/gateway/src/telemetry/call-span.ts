import {
  initTelemetry,
  contextFromTraceparent,
  SpanKind,
  SpanStatusCode,
  traceparentOf,
  type Span,
} from '@sluice/telemetry';
import {
  costNanosOfUsage,
  usdOfNanos,
  type OpenAiError,
  type Operation,
  type ProviderType,
  type UsageMessage,
} from '@sluice/contracts';
import { genAiOperation, genAiProvider } from './genai-names';

const tracer = initTelemetry('gateway');

/**
 * One span per model call, named and attributed after the OpenTelemetry GenAI conventions, as a
 * child of the caller's `traceparent` when it sent one. Never carries a key, a prompt or a reply.
 * Started before authorization, so named by its operation alone: the caller's `model` string would
 * let anyone, with any key, mint span names without bound. The catalog model is set once the call
 * is authorized (endCallSpan).
 */
export function startCallSpan(
  op: Operation,
  requestId: string,
  incomingTraceparent: string | undefined,
): { span: Span; traceparent?: string } {
  const span = tracer.startSpan(
    genAiOperation(op),
    {
      kind: SpanKind.CLIENT,
      attributes: { 'gen_ai.operation.name': genAiOperation(op), 'sluice.request_id': requestId },
    },
    contextFromTraceparent(incomingTraceparent),
  );
  return { span, traceparent: traceparentOf(span) };
}

/** An authorized call, however it ended: the upstream's answer and the billable usage. */
export function endCallSpan(span: Span, usage: UsageMessage, providerType: ProviderType): void {
  if (span.isRecording()) {
    span.setAttributes({
      'http.response.status_code': usage.status,
      'sluice.key_id': usage.keyId,
      'sluice.provider_id': usage.providerId,
      'gen_ai.provider.name': genAiProvider(providerType),
      'gen_ai.request.model': usage.model,
      'gen_ai.response.model': usage.upstreamModel,
      'gen_ai.request.stream': usage.stream,
      'gen_ai.usage.input_tokens': usage.inputTokens,
      'gen_ai.usage.output_tokens': usage.outputTokens,
      'gen_ai.usage.cache_read.input_tokens': usage.cachedInputTokens,
      'gen_ai.usage.reasoning.output_tokens': usage.reasoningTokens,
      'sluice.usage.estimated': usage.estimated,
    });
    if (usage.stream && usage.ttfbMs !== null)
      span.setAttribute('gen_ai.response.time_to_first_chunk', usage.ttfbMs / 1000);
    if (usage.costNanos !== undefined || usage.costUsd !== undefined)
      span.setAttribute('sluice.cost_usd', usdOfNanos(costNanosOfUsage(usage)));
    if (usage.status >= 400) {
      span.setAttribute('error.type', String(usage.status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }
  span.end();
}

/** A call refused before any upstream was asked: the refusal's code and the key rule that refused it. */
export function endRefusedSpan(span: Span, error: OpenAiError, keyId: string | undefined): void {
  if (span.isRecording()) {
    span.setAttributes({ 'http.response.status_code': error.status, 'error.type': error.code ?? String(error.status) });
    if (error.rule) span.setAttribute('sluice.rule', error.rule);
    if (keyId) span.setAttribute('sluice.key_id', keyId);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.rule ? `refused (rule: ${error.rule})` : 'refused' });
  }
  span.end();
}
