import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` (or Portkey's trace id) when it is safe to echo and log. */
export function clientRequestIdOf(headers: IncomingHttpHeaders): string | null {
  const given = headers['x-request-id'];
  if (typeof given === 'string' && ACCEPTED.test(given)) return given;
  const trace = headers['x-portkey-trace-id'];
  if (typeof trace === 'string' && ACCEPTED.test(trace)) return trace;
  return null;
}

/**
 * The ids of one call. `requestId` is echoed in `x-request-id` and logged: the caller's own id when
 * it sent a safe one, else `callId`. `callId` is always new: it identifies the call's usage record
 * (and its JetStream msgID), so a caller who repeats an `x-request-id` is still billed per call.
 */
export function requestIdsOf(
  headers: IncomingHttpHeaders,
  newId: () => string = randomUUID,
): { requestId: string; callId: string; clientRequestId: string | null } {
  const callId = newId();
  const clientRequestId = clientRequestIdOf(headers);
  return { requestId: clientRequestId ?? callId, callId, clientRequestId };
}

/** The id to echo on a response sent before the call's ids were assigned. */
export function requestIdOf(headers: IncomingHttpHeaders, newId: () => string = randomUUID): string {
  return clientRequestIdOf(headers) ?? newId();
}
