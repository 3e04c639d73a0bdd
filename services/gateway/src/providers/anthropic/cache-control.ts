import type { CacheControl } from './anthropic-wire';

/**
 * A prompt-cache breakpoint as Anthropic takes it (`{type: "ephemeral"}`, an optional `ttl` of
 * "5m" or "1h", nothing else), rebuilt from the caller's; undefined when there is none, null when
 * it is anything else (the caller is refused, naming the field: never dropped, never sent on as written).
 */
export function cacheControlOf(value: unknown): CacheControl | undefined | null {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) return null;
  const c = value as { type?: unknown; ttl?: unknown };
  if (c.type !== 'ephemeral' || (c.ttl !== undefined && c.ttl !== '5m' && c.ttl !== '1h')) return null;
  if (Object.keys(value).some((k) => k !== 'type' && k !== 'ttl')) return null;
  return c.ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: c.ttl };
}

export const cacheControlMessage = (param: string): string =>
  `Invalid '${param}': expected {"type": "ephemeral"}, with an optional "ttl" of "5m" or "1h".`;
