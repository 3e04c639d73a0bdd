import { z } from 'zod';

const instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const granularity = z.enum(['hour', 'day']);

/** `GET /admin/v1/keys/:id/usage`: a range (default the last 7 days) cut into UTC buckets. */
export const KeyUsageQuery = z.object({
  from: instant.optional(),
  to: instant.optional(),
  granularity: granularity.default('day'),
});
export type KeyUsageQuery = z.infer<typeof KeyUsageQuery>;

/** `GET /admin/v1/usage`: cards and a series for everything, and per key, model or provider when grouped. */
export const UsageQuery = KeyUsageQuery.extend({
  groupBy: z.enum(['key', 'model', 'provider', 'session']).optional(),
  /** The groups with the highest spend come first; at most this many. */
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type UsageQuery = z.infer<typeof UsageQuery>;

/**
 * `GET /admin/v1/requests`: the request log, newest first. `status` is an HTTP status, `ok` (<400) or `error` (≥400).
 */
export const RequestLogQuery = z.object({
  keyId: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  status: z
    .string()
    .regex(/^(\d{3}|ok|error)$/, 'expected an HTTP status, ok or error')
    .optional(),
  /** The calls of one agent session (Claude Code's `X-Claude-Code-Session-Id`). */
  sessionId: z.string().min(1).max(128).optional(),
  from: instant.optional(),
  to: instant.optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type RequestLogQuery = z.infer<typeof RequestLogQuery>;

export interface UsageTotals {
  requests: number;
  inputTokens: number;
  cachedInputTokens: number;
  /** Part of inputTokens: written to the provider's prompt cache. */
  cacheWriteInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  spendUsd: number;
  errors: number;
}

export interface UsageBucket {
  start: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  spendUsd: number;
  errors: number;
}

/** One row of the request log as the admin API returns it. */
export interface UsageRecordView {
  requestId: string;
  clientRequestId: string | null;
  keyId: string;
  model: string;
  upstreamModel: string;
  providerId: string;
  operation: string;
  stream: boolean;
  status: number;
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  costUsd: number;
  estimated: boolean;
  /** Policy swept the call (it had not reported within the reservation TTL) and charged its worst case. */
  swept: boolean;
  /**
   * When the swept call's real report arrived after all: what the sweep had charged (the row shows the report); else
   * null.
   */
  sweptCostUsd: number | null;
  latencyMs: number;
  ttfbMs: number | null;
  clientIp: string;
  user: string | null;
  metadata: Record<string, string> | null;
  /** The agent session the call belongs to (Claude Code's `X-Claude-Code-Session-Id`); null when none was sent. */
  sessionId: string | null;
  /**
   * Caller fields stored cleaned because Postgres could not store them as sent (`user`, `metadata`, `clientRequestId`).
   */
  cleanedFields: string[];
  /** The W3C trace id of the call's trace, when it was traced (docs/observability.md). */
  traceId: string | null;
  startedAt: string;
  recordedAt: string;
}
