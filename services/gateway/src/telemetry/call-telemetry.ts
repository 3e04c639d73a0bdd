import type { OpenAiError, Operation, Route, UsageMessage } from '@sluice/contracts';
import type { Span } from '@sluice/telemetry';
import { CallMetrics } from './call-metrics';
import { endCallSpan, endRefusedSpan } from './call-span';

const metrics = new CallMetrics();

/** Where a call is refused before the upstream: its span ends and it is counted under its rule. */
export function callRefused(
  span: Span,
  op: Operation,
  refusal: { error: OpenAiError; keyId?: string; keyName?: string },
): void {
  endRefusedSpan(span, refusal.error, refusal.keyId);
  metrics.refused(op, refusal.error, refusal.keyId, refusal.keyName);
}

/** Where an authorized call ends, with its usage message: its span ends and it is counted. */
export function callEnded(span: Span, usage: UsageMessage, route: Route, keyName: string, upstreamMs: number): void {
  endCallSpan(span, usage, route.providerType);
  metrics.ended(usage, route.providerType, keyName, upstreamMs);
}
