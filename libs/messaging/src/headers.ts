import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { Headers } from '@sluice/contracts';

export interface TraceHeaders {
  requestId?: string;
  traceparent?: string;
}

export function toNatsHeaders(trace: TraceHeaders | undefined): MsgHdrs | undefined {
  if (!trace?.requestId && !trace?.traceparent) return undefined;
  const h = natsHeaders();
  if (trace.requestId) h.set(Headers.requestId, trace.requestId);
  if (trace.traceparent) h.set(Headers.traceparent, trace.traceparent);
  return h;
}

export function fromNatsHeaders(h: MsgHdrs | undefined): TraceHeaders {
  if (!h) return {};
  return { requestId: h.get(Headers.requestId) || undefined, traceparent: h.get(Headers.traceparent) || undefined };
}
