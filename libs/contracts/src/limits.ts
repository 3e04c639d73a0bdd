import { z } from 'zod';
import { imageTokens } from './token-estimate/image-tokens';
import { isWholeNanos, MAX_BUDGET_USD } from './money';
import type { CallEstimate } from './rpc';

/**
 * A key's rate limits and budget: the settings (in events and on the admin API) and the period
 * arithmetic every service shares, so policy, key-registry and admin-api agree on when a budget
 * period starts and resets.
 */
const positiveInt = z.number().int().positive();

export const TOKEN_KINDS = ['input', 'output'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

export const RateLimitsSchema = z.strictObject({
  requestsPerMinute: positiveInt.optional(),
  requestsPerHour: positiveInt.optional(),
  requestsPerDay: positiveInt.optional(),
  tokensPerMinute: positiveInt.optional(),
  /** Which tokens count toward `tokensPerMinute`; both when absent. */
  tokenKinds: z.array(z.enum(TOKEN_KINDS)).min(1).optional(),
  maxParallelRequests: positiveInt.optional(),
});
export type RateLimits = z.infer<typeof RateLimitsSchema>;

/** `30m`, `1h`, `1d`, `7d`, `30d`: a whole number of minutes, hours or days (at most 366 days). */
export const PERIOD_PATTERN = /^([1-9]\d{0,5})([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MAX_PERIOD_MS = 366 * UNIT_MS.d;

export function periodMs(period: string): number | null {
  const match = PERIOD_PATTERN.exec(period);
  if (!match) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms <= MAX_PERIOD_MS ? ms : null;
}

export const BudgetPeriod = z.string().refine((p) => periodMs(p) !== null, {
  message: 'must be a duration such as 1h, 1d, 7d or 30d (minutes m, hours h, days d; at most 366d)',
});

export const DEFAULT_ALERT_THRESHOLDS = [50, 80, 100];

/** The budget as an admin sets it. */
export const BudgetSchema = z.strictObject({
  /** At most $1,000,000 and nine decimals: counted exactly in nano-dollars (see money.ts). */
  maxUsd: z
    .number()
    .positive()
    .max(MAX_BUDGET_USD)
    .refine(isWholeNanos, { message: 'must have at most 9 decimal places (a nano-dollar)' }),
  /** Absent or null: a lifetime budget. */
  period: BudgetPeriod.nullable().optional(),
  /** Percentages of `maxUsd` whose crossing is recorded (and sent to the webhook); default 50, 80, 100. */
  alertThresholds: z.array(z.number().int().min(1).max(100)).max(10).optional(),
  /** Where threshold and reset notifications are POSTed for this key (else the global `SLUICE_BUDGET_WEBHOOK_URL`). */
  webhookUrl: z
    .url({ protocol: /^https?$/ })
    .nullable()
    .optional(),
});
export type BudgetInput = z.infer<typeof BudgetSchema>;

/**
 * The budget as events, read models and every answer carry it: every field explicit. The webhook
 * URL is a secret (a Slack-style URL carries its token in the path): it is sealed in key-registry's
 * vault, and only its hint travels.
 */
export const BudgetSettings = z.object({
  maxUsd: z.number().positive(),
  period: z.string().nullable(),
  alertThresholds: z.array(z.number().int()),
  webhookUrlHint: z.string().nullable().default(null),
});
export type BudgetSettings = z.infer<typeof BudgetSettings>;

export function normalizeBudget(input: BudgetInput): BudgetSettings {
  const thresholds = [...new Set(input.alertThresholds ?? DEFAULT_ALERT_THRESHOLDS)].sort((a, b) => a - b);
  return {
    maxUsd: input.maxUsd,
    period: input.period ?? null,
    alertThresholds: thresholds,
    webhookUrlHint: input.webhookUrl ? webhookUrlHint(input.webhookUrl) : null,
  };
}

/** What may be shown of a webhook URL: its scheme and host, and the last 4 characters of a long enough rest. */
export function webhookUrlHint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(invalid URL)';
  }
  const rest = url.slice(url.indexOf(parsed.host) + parsed.host.length);
  if (rest === '' || rest === '/') return parsed.origin;
  // A short rest would be shown almost whole: a token of a few characters is still a token.
  return rest.length >= 16 ? `${parsed.origin}/…${rest.slice(-4)}` : `${parsed.origin}/…`;
}

/**
 * Budgets as schema version 1 events wrote them, with the webhook URL in plain text: read as the
 * current shape (the hint), so no reader passes the URL on. See docs/security.md.
 */
export function upcastBudget(budget: unknown): unknown {
  if (!budget || typeof budget !== 'object' || !('webhookUrl' in budget)) return budget;
  const { webhookUrl, ...rest } = budget as { webhookUrl: unknown };
  return { ...rest, webhookUrlHint: typeof webhookUrl === 'string' && webhookUrl ? webhookUrlHint(webhookUrl) : null };
}

/**
 * Budget periods are anchored at the key's creation: a `1d` budget of a key created at 14:05 UTC
 * resets every day at 14:05 UTC. A lifetime budget has one period, from creation, that never ends.
 */
export function budgetPeriodAt(
  createdAtMs: number,
  period: string | null,
  nowMs: number,
): { start: number; end: number | null } {
  const length = period === null ? null : periodMs(period);
  if (length === null || nowMs < createdAtMs) return { start: createdAtMs, end: null };
  const index = Math.floor((nowMs - createdAtMs) / length);
  const start = createdAtMs + index * length;
  return { start, end: start + length };
}

/**
 * When a key's budget began counting: `at` the moment it was given to the key (or its period
 * length changed), `countsFrom` the earliest call start its count includes from then on.
 */
export interface BudgetSince {
  at: number;
  countsFrom: number;
}

/**
 * Where the count of a budget period (given by its start) begins: the period's start, except in the
 * period in which the budget was set or changed, which counts from `since.countsFrom`. A budget
 * given to a key counts the calls that start from that moment on (spend from before it existed is
 * not counted); a new period length keeps the spend counted so far until the new period's next
 * boundary (an admin changing a period does not hand out a fresh allowance). Policy live and
 * policy rebuilding after a restart both count from here, so they agree.
 */
export function budgetCountStart(periodStart: number, since: BudgetSince): number {
  return periodStart <= since.at ? since.countsFrom : periodStart;
}

/**
 * After an admin change of a key's budget at `at`: when the count starts (unchanged when only the amount or alerts
 * changed).
 */
export function budgetSinceAfter(
  createdAtMs: number,
  before: { period: string | null; since: BudgetSince } | null,
  after: { period: string | null } | null,
  at: number,
): BudgetSince | null {
  if (!after) return null;
  if (!before) return { at, countsFrom: at };
  if (before.period === after.period) return before.since;
  return { at, countsFrom: budgetCountStart(budgetPeriodAt(createdAtMs, before.period, at).start, before.since) };
}

/** A key's live budget state, as policy holds it. */
export interface BudgetState {
  maxUsd: number;
  period: string | null;
  /** Always `key-created`: periods are anchored at the key's creation time (UTC). */
  anchor: 'key-created';
  periodStart: string;
  /**
   * The earliest call start `spentUsd` counts: the period's start, or later in the period in which
   * the budget was given to the key, or earlier when its period length changed (the spend so far is kept).
   */
  countsFrom?: string;
  /** When the current period ends and spend starts again from zero; null for a lifetime budget. */
  resetsAt: string | null;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number;
  alertThresholds: number[];
  /** Thresholds (percent) already reached in the current period. */
  thresholdsReached: number[];
  webhookUrlHint: string | null;
}

/** One rate-limit window's live state. */
export interface LimitWindowState {
  limit: number;
  used: number;
  /** Admitted calls (or their estimated tokens) that have not reported usage yet; part of `used`. */
  inFlight: number;
  remaining: number;
  /** Milliseconds until enough of the window has passed for one more unit to be free; 0 when some remain. */
  resetsInMs: number;
}

export interface RateLimitState {
  requestsPerMinute?: LimitWindowState;
  requestsPerHour?: LimitWindowState;
  requestsPerDay?: LimitWindowState;
  tokensPerMinute?: LimitWindowState & { tokenKinds: TokenKind[] };
  maxParallelRequests?: { limit: number; inFlight: number };
}

/** What policy knows about one key right now (GET /admin/v1/keys/:id, effective policy). */
export interface KeyLimitState {
  keyId: string;
  rateLimits: RateLimitState;
  budget: BudgetState | null;
}

/**
 * The output a call reserves for (and is capped at upstream) when it names no `max_tokens` and the model sets no cap.
 */
export const DEFAULT_RESERVED_OUTPUT_TOKENS = 4096;

/**
 * The output tokens one choice of a call may produce at most, which its budget reservation (and a
 * crashed gateway's estimate) covers: the caller's own cap (policy refuses one above the model's
 * `maxOutputTokens`; on a model without one it is believed, as the upstream is given it), else the
 * model's maximum, else the default — and then that cap is what the upstream is given. Embeddings
 * produce no output tokens.
 */
export function reservedOutputTokens(operation: string, asked: number | null, modelCap: number | null): number {
  if (operation === 'embeddings') return 0;
  if (asked !== null && asked > 0) return modelCap === null ? asked : Math.min(asked, modelCap);
  return modelCap ?? DEFAULT_RESERVED_OUTPUT_TOKENS;
}

/** A call's tokens at admission: what rate limits count, and the worst case its budget reserves. */
export interface CallTokens {
  /** The prompt estimate with its images: tokens per minute and the headers. */
  inputEstimate: number;
  /** The prompt's bound with its images: the budget's worst case. */
  inputBound: number;
  /** The output cap of one choice: sent upstream when the caller set none. */
  outputCap: number;
  /**
   * The output cap, and the prediction's rejected tokens, times the choices the upstream generates (`n`, `best_of`).
   */
  outputBound: number;
}

export function callTokens(
  operation: string,
  estimate: CallEstimate,
  model: { maxOutputTokens: number | null; upstreamModel: string },
): CallTokens {
  const images = imageTokens(estimate.images, model.upstreamModel);
  const outputCap = reservedOutputTokens(operation, estimate.maxOutputTokens, model.maxOutputTokens);
  return {
    inputEstimate: estimate.inputTokens + images,
    inputBound: Math.max(estimate.inputTokensBound ?? 0, estimate.inputTokens) + images,
    outputCap,
    outputBound: (outputCap + (estimate.predictedOutputTokens ?? 0)) * Math.max(1, estimate.choices ?? 1),
  };
}
