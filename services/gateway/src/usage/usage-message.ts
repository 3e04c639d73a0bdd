import {
  costNanosOf,
  usageTokenFields,
  type AllowedLimits,
  type Operation,
  type Route,
  type UsageMessage,
} from '@sluice/contracts';
import type { CallerTags } from './caller-tags';
import type { TokenCounts } from './token-counts';
import type { WorstCase } from './worst-case';

/** What the gateway knows about a call once it is authorized, for its usage message. */
export interface CallFacts {
  /** Echoed and logged. */
  requestId: string;
  /** Unique per call: the usage record's identity. */
  callId: string;
  keyId: string;
  model: string;
  route: Route;
  /** The key's limits at admission: headers already set, the budget reservation. */
  limits?: AllowedLimits;
  op: Operation;
  stream: boolean;
  /** What the call can be billed at most (worstCaseOf): its bill when what it generated cannot be known. */
  worstCase: WorstCase;
  clientIp: string;
  /** Epoch milliseconds when the request arrived. */
  startedAt: number;
  /** performance.now() when the request arrived, for the time to first byte. */
  t0: number;
  tags?: CallerTags;
  /** The call span's context, when the call is traced. */
  traceparent?: string;
}

export interface CallResult {
  /** The HTTP status the client received. */
  status: number;
  tokens: TokenCounts;
  estimated: boolean;
  latencyMs: number;
  ttfbMs: number | null;
}

/** Ends a call: its usage message, built (and the call priced) once, before the response's last bytes. */
export type FinishCall = (result: Omit<CallResult, 'latencyMs'>) => Promise<UsageMessage>;

/**
 * The call's one usage message. Its cost is computed here, once, at the price policy admitted the
 * call with (the route's): the cost header, policy's settlement and metering's record all read it.
 */
export function usageMessage(call: CallFacts, result: CallResult): UsageMessage {
  return {
    requestId: call.callId,
    keyId: call.keyId,
    model: call.model,
    upstreamModel: call.route.upstreamModel,
    providerId: call.route.providerId,
    operation: call.op,
    stream: call.stream,
    status: result.status,
    ...usageTokenFields(result.tokens),
    reasoningTokens: result.tokens.reasoningTokens,
    estimated: result.estimated,
    latencyMs: Math.round(result.latencyMs * 1000) / 1000,
    ttfbMs: result.ttfbMs === null ? null : Math.round(result.ttfbMs * 1000) / 1000,
    clientIp: call.clientIp,
    startedAt: new Date(call.startedAt).toISOString(),
    clientRequestId: call.tags?.clientRequestId ?? null,
    user: call.tags?.user ?? null,
    metadata: call.tags?.metadata ?? null,
    ...(call.tags?.sessionId ? { sessionId: call.tags.sessionId } : {}),
    ...(call.route.price ? { costNanos: costNanosOf(result.tokens, call.route.price) } : {}),
    ...(call.traceparent ? { traceparent: call.traceparent } : {}),
    ...(call.limits?.leaseId ? { leaseId: call.limits.leaseId } : {}),
  };
}
