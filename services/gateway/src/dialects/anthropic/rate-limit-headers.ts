/** Policy's OpenAI-named rate-limit headers, and the Anthropic names they take on this ingress. */
const RENAMED: Record<string, string> = {
  'x-ratelimit-limit-requests': 'anthropic-ratelimit-requests-limit',
  'x-ratelimit-remaining-requests': 'anthropic-ratelimit-requests-remaining',
  'x-ratelimit-reset-requests': 'anthropic-ratelimit-requests-reset',
  'x-ratelimit-limit-tokens': 'anthropic-ratelimit-tokens-limit',
  'x-ratelimit-remaining-tokens': 'anthropic-ratelimit-tokens-remaining',
  'x-ratelimit-reset-tokens': 'anthropic-ratelimit-tokens-reset',
};

const DURATION = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/;

/** OpenAI's reset durations (`20ms`, `1.5s`, `6m0s`, `1h2m3s`) in milliseconds; null when unreadable. */
export function durationMs(text: string): number | null {
  const m = DURATION.exec(text);
  if (!m || text === '') return null;
  return Number(m[1] ?? 0) * 3_600_000 + Number(m[2] ?? 0) * 60_000 + Number(m[3] ?? 0) * 1000 + Number(m[4] ?? 0);
}

/** An instant as Anthropic writes a reset: RFC 3339, whole seconds (rounded up: never earlier than the truth). */
export const rfc3339 = (ms: number): string =>
  new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * The key's own limits as Anthropic names them (`anthropic-ratelimit-{requests,tokens}-{limit,
 * remaining,reset}`, the reset an RFC 3339 instant); `retry-after`, `retry-after-ms` and Sluice's
 * budget headers keep their names. Time is passed in.
 */
export function anthropicLimitHeaders(headers: Record<string, string>, now: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const renamed = RENAMED[name];
    if (renamed === undefined) out[name] = value;
    else if (!renamed.endsWith('-reset')) out[renamed] = value;
    else {
      const ms = durationMs(value);
      if (ms !== null) out[renamed] = rfc3339(now + ms);
    }
  }
  return out;
}
