/** A duration as OpenAI writes it in `x-ratelimit-reset-*`: `20ms`, `1.5s`, `6m0s`, `1h2m3s`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total < 1000) return `${total}ms`;
  if (total < 60_000) return `${trim(total / 1000)}s`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = Math.floor((total % 60_000) / 1000);
  return hours > 0 ? `${hours}h${minutes}m${seconds}s` : `${minutes}m${seconds}s`;
}

const trim = (n: number): string => String(Math.round(n * 1000) / 1000);

export interface WindowReading {
  limit: number;
  remaining: number;
  resetsInMs: number;
}

/**
 * `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`. With several request windows (per
 * minute, hour, day) the one with the least left is reported: that is the one a client must pace to.
 */
export function rateLimitHeaders(requests: WindowReading | null, tokens: WindowReading | null): Record<string, string> {
  const headers: Record<string, string> = {};
  if (requests) {
    headers['x-ratelimit-limit-requests'] = String(requests.limit);
    headers['x-ratelimit-remaining-requests'] = String(Math.max(0, Math.floor(requests.remaining)));
    headers['x-ratelimit-reset-requests'] = formatDuration(requests.resetsInMs);
  }
  if (tokens) {
    headers['x-ratelimit-limit-tokens'] = String(tokens.limit);
    headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, Math.floor(tokens.remaining)));
    headers['x-ratelimit-reset-tokens'] = formatDuration(tokens.resetsInMs);
  }
  return headers;
}
