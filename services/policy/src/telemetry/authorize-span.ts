import type { AuthorizeReply } from '@sluice/contracts';
import { contextFromTraceparent, initTelemetry, SpanKind, type Span } from '@sluice/telemetry';

const tracer = initTelemetry('policy');

/** Policy's part of a call's trace, when the gateway sent one: the decision, as a child of the gateway's call span. */
export function startAuthorizeSpan(traceparent: string | undefined): Span | undefined {
  if (!traceparent) return undefined;
  return tracer.startSpan('policy authorize', { kind: SpanKind.SERVER }, contextFromTraceparent(traceparent));
}

export function endAuthorizeSpan(span: Span | undefined, reply: AuthorizeReply): void {
  if (!span) return;
  if (span.isRecording()) {
    span.setAttribute('sluice.decision', reply.allow ? 'allowed' : 'refused');
    if (reply.keyId) span.setAttribute('sluice.key_id', reply.keyId);
    if (!reply.allow && reply.error.rule) span.setAttribute('sluice.rule', reply.error.rule);
    if (!reply.allow) span.setAttribute('error.type', reply.error.code ?? String(reply.error.status));
  }
  span.end();
}
