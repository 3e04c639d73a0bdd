import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` (or Portkey's trace id) when it is safe to echo and log; otherwise a new UUID. */
export function requestIdOf(headers: IncomingHttpHeaders, newId: () => string = randomUUID): string {
  const given = headers['x-request-id'];
  if (typeof given === 'string' && ACCEPTED.test(given)) return given;
  const trace = headers['x-portkey-trace-id'];
  if (typeof trace === 'string' && ACCEPTED.test(trace)) return trace;
  return newId();
}
