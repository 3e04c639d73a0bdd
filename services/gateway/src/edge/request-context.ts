/** What the edge learned about a request before its body was read. */
export interface RequestContext {
  /** Echoed in `x-request-id`: the caller's own id when it sent one. */
  requestId: string;
  /** Always new: the identity of the call's usage record. */
  callId: string;
  clientRequestId: string | null;
  /** The well-formed virtual key; only its hash leaves this process. */
  key: string;
  /** The client's address (socket peer, or through trusted proxies); '' when unknown. */
  clientIp: string;
  /** Epoch milliseconds at arrival. */
  startedAt: number;
  /** performance.now() at arrival, for latencies. */
  t0: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    sluice: RequestContext;
  }
}
