import { createHmac } from 'node:crypto';
import type { PublishedEvent } from '@sluice/contracts';

/** The events an admin can subscribe to with a budget webhook. */
export const NOTIFIED_EVENTS = new Set(['KeyBudgetThresholdReached', 'KeyBudgetReset']);

/** What a webhook receives: the event, named for a person reading it. */
export interface BudgetNotification {
  type: string;
  keyId: string;
  keyName: string | null;
  data: unknown;
  occurredAt: string;
  eventId: string;
}

export function toNotification(event: PublishedEvent, keyName: string | null): BudgetNotification {
  const data = event.data as { keyId: string };
  return {
    type: event.type,
    keyId: data.keyId,
    keyName,
    data: event.data,
    occurredAt: event.metadata.occurredAt,
    eventId: event.eventId,
  };
}

/** The key's own webhook, else the global one; null when neither is set. */
export const webhookTarget = (
  keyWebhookUrl: string | null | undefined,
  globalUrl: string | null | undefined,
): string | null => keyWebhookUrl || globalUrl || null;

/**
 * `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`, with the timestamp (Unix seconds) sent in
 * `x-sluice-timestamp`: a receiver checks both and refuses old timestamps, so a captured request
 * cannot be replayed later (Stripe's scheme).
 */
export const signature = (body: string, secret: string, timestamp: number): string =>
  `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 10, baseDelayMs: 1000, maxDelayMs: 60_000 };

/** After a failed attempt: the delay before the next one (doubling), or null when it was the last. */
export function nextAttemptDelay(attempt: number, retry: RetryPolicy): number | null {
  if (attempt >= retry.maxAttempts) return null;
  return Math.min(retry.baseDelayMs * 2 ** (attempt - 1), retry.maxDelayMs);
}

/** Scheme, host and port only: a webhook URL's path or query may hold its secret token. */
export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}
