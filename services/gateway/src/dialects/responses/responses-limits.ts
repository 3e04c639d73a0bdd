/** The gateway's bounds on one Responses call (the same as on chat). */
export interface ResponsesLimits {
  maxUpstreamBodyBytes: number;
  drainAfterDisconnectMs: number;
  maxStreamMs: number;
  clientStallMs: number;
  maxSseEventBytes: number;
}
