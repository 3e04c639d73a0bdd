import { storableText, type StoredResponse } from '@sluice/contracts';

const DAY_MS = 24 * 3600 * 1000;

/** A stored response's row: its expiry from the retention, its JSON made storable. */
export function storedResponseRow(r: StoredResponse, retentionMs: number) {
  const createdAt = new Date(r.createdAt);
  const created = Number.isNaN(createdAt.getTime()) ? new Date() : createdAt;
  return {
    id: r.responseId,
    key_id: r.keyId,
    call_id: r.callId,
    model: r.model,
    mode: r.mode,
    route: storableJson(r.route),
    previous_response_id: r.previousResponseId,
    context_tokens: r.contextTokens ?? null,
    response: r.response === undefined ? null : storableJson(r.response),
    input: r.input === undefined ? null : storableJson(r.input),
    created_at: created,
    expires_at: new Date(created.getTime() + retentionMs),
  };
}

export const retentionMsOfDays = (days: number): number => days * DAY_MS;

// `\u0000` and an unpaired surrogate escape: what jsonb refuses (22P05, 22P02).
const UNSTORABLE_ESCAPE = /\\u0000|\\ud[89a-f][0-9a-f]{2}/i;

/**
 * JSON text jsonb accepts. A conversation may hold a NUL or half a surrogate pair (a client's text,
 * a tool's output): those strings, keys included, are stored with U+FFFD in their place rather
 * than lose the response. Walked only when the text shows such an escape.
 */
export function storableJson(value: unknown): string {
  const json = JSON.stringify(value);
  return UNSTORABLE_ESCAPE.test(json) ? JSON.stringify(storable(value)) : json;
}

function storable(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storable);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[storableText(k)] = storable(v);
  return out;
}
