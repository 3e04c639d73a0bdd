// Policy writes them at admission; a gateway writes them for the calls it admits under a lease.
export { formatDuration, rateLimitHeaders, type WindowReading } from '@sluice/contracts';

/** `retry-after` (whole seconds, at least 1, as the SDKs read it) and `retry-after-ms`. */
export function retryAfterHeaders(ms: number): Record<string, string> {
  const wait = Math.max(1, Math.ceil(ms));
  return { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))), 'retry-after-ms': String(wait) };
}
