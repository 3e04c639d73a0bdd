import type { UsageMessage } from '@sluice/contracts';
import { Subjects } from '@sluice/contracts';
import { contextFromTraceparent, initTelemetry, SpanKind, SpanStatusCode, type Span } from '@sluice/telemetry';

const tracer = initTelemetry('metering');

/**
 * Metering's part of a call's trace: the usage message taken from JetStream and recorded, as a
 * child of the gateway's call span (the message carries its `traceparent`). Untraced calls get none.
 */
export function startRecordSpan(usage: UsageMessage): Span | undefined {
  if (!usage.traceparent) return undefined;
  return tracer.startSpan(
    `process ${Subjects.usage}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'nats',
        'messaging.operation.type': 'process',
        'messaging.destination.name': Subjects.usage,
        'messaging.message.id': usage.requestId,
        'sluice.key_id': usage.keyId,
        'gen_ai.request.model': usage.model,
        'gen_ai.response.model': usage.upstreamModel,
        'gen_ai.usage.input_tokens': usage.inputTokens,
        'gen_ai.usage.output_tokens': usage.outputTokens,
      },
    },
    contextFromTraceparent(usage.traceparent),
  );
}

export function endRecordSpan(span: Span | undefined, failure: string | undefined): void {
  if (!span) return;
  if (failure) {
    span.setAttribute('error.type', failure);
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
