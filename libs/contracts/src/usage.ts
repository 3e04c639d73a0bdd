import { z } from 'zod';
import { NANOS_PER_USD } from './money';
import type { BillableTokens } from './pricing';

/**
 * One call's usage, gateway → metering over JetStream (on its own, msgID = requestId, or in a
 * batch: see `usagesIn`), and to policy over core NATS. Every number is finite (zod 4 refuses Infinity, which JSON's 1e400 reads as) and
 * tokens and nano-dollars are non-negative integers: a message is checked against this before
 * anything is counted from it.
 */
export const UsageMessage = z.object({
  /**
   * The call id (the gateway's `callId`): new for every call, the JetStream msgID and the key of
   * the usage record. Not the caller's `x-request-id` (that is `clientRequestId`); the wire name
   * predates the distinction and stays (docs/architecture.md#names-that-could-mean-two-things).
   */
  requestId: z.string(),
  keyId: z.string(),
  model: z.string(),
  upstreamModel: z.string(),
  providerId: z.string(),
  operation: z.string(),
  stream: z.boolean(),
  status: z.number().int(),
  inputTokens: z.number().int().nonnegative(),
  cachedInputTokens: z.number().int().nonnegative(),
  /**
   * Part of `inputTokens`, like `cachedInputTokens`: the prompt tokens written to the provider's
   * cache (Anthropic's `cache_creation_input_tokens`), priced at the catalog's cache-write rate.
   * Absent (older gateways, providers without it): none.
   */
  cacheWriteInputTokens: z.number().int().nonnegative().optional(),
  outputTokens: z.number().int().nonnegative(),
  reasoningTokens: z.number().int().nonnegative(),
  /** True when the upstream reported no usage and the tokens were estimated. */
  estimated: z.boolean(),
  latencyMs: z.number().nonnegative(),
  ttfbMs: z.number().nonnegative().nullable(),
  clientIp: z.string(),
  /** An instant (ISO 8601, UTC or with an offset): policy places the call in its windows and budget period by it. */
  startedAt: z.iso.datetime({ offset: true }),
  /**
   * The id the client supplied (`x-request-id` or `x-portkey-trace-id`), echoed as the response's `x-request-id`; null
   * when it sent none.
   */
  clientRequestId: z.string().nullable().optional(),
  /** OpenAI's `user` body field (or Portkey metadata `_user`), bounded. */
  user: z.string().nullable().optional(),
  /** `x-portkey-metadata`, bounded, secret-looking entries dropped. */
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  /** The agent session the call belongs to (Claude Code's `X-Claude-Code-Session-Id`), bounded: cost per session. */
  sessionId: z.string().nullable().optional(),
  /**
   * What the call costs, in nano-dollars, priced once by the gateway at the price policy admitted
   * it with (a sweep or a recovered spool: at the reservation's price). The client's
   * `x-sluice-cost-usd`, policy's settlement and metering's record are this number.
   */
  costNanos: z.number().int().nonnegative().optional(),
  /** Written by gateways before costs were counted in nano-dollars (read during an upgrade only). */
  costUsd: z.number().nonnegative().optional(),
  /**
   * Written by policy, not a gateway: the call was admitted but never reported usage (its gateway
   * died), so its reservation was charged as an estimate. Always `estimated`.
   */
  swept: z.boolean().optional(),
  /**
   * Written by a gateway recovering the usage spool of a dead gateway process: the call began but
   * its usage was never known, so it is charged at its worst case. Always `estimated`.
   */
  recovered: z.boolean().optional(),
  /**
   * The lease the gateway admitted the call under (no authorize round trip): policy takes its cost
   * and tokens out of that lease's reservation. Absent: an ordinary call.
   */
  leaseId: z.string().max(200).optional(),
  /**
   * W3C trace context of the gateway's call span (when traced): metering continues the trace and stores its trace id.
   */
  traceparent: z.string().max(55).optional(),
});
export type UsageMessage = z.infer<typeof UsageMessage>;

/**
 * The calls one message of the usage stream carries: a JSON object is one call's usage; a JSON
 * array is a batch of one gateway's calls, published together (msgID `usage-batch.<uuid>`, one
 * stored message and one acknowledgement for many calls). Each element is checked on its own, as a
 * single message is: one malformed call does not hide the others.
 */
export function usagesIn(raw: unknown): unknown[] {
  return Array.isArray(raw) ? raw : [raw];
}

/**
 * The cost a usage message carries, in nano-dollars. A message written before `costNanos` existed
 * carries its cost as a float in USD: rounded to the nearest nano-dollar, which recovers the
 * decimal it was computed from. A message with no cost at all (a route without a price, from a
 * policy older than prices on routes) is charged nothing: no price was in force for it.
 */
export function costNanosOfUsage(usage: Pick<UsageMessage, 'costNanos' | 'costUsd'>): number {
  if (usage.costNanos !== undefined) return usage.costNanos;
  return usage.costUsd === undefined ? 0 : Math.round(usage.costUsd * NANOS_PER_USD);
}

/**
 * A usage message's token fields from billable tokens: every cache write counted in
 * `cacheWriteInputTokens` (the 1-hour ones too: their dearer price is in `costNanos`).
 */
export const usageTokenFields = (tokens: BillableTokens) => ({
  inputTokens: tokens.inputTokens,
  cachedInputTokens: tokens.cachedInputTokens,
  ...(tokens.cacheWriteInputTokens ? { cacheWriteInputTokens: tokens.cacheWriteInputTokens } : {}),
  outputTokens: tokens.outputTokens,
});
