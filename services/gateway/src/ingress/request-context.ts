/** What the edge learned about a request before its body was read. */
export interface RequestContext {
  requestId: string;
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
