import type { Kysely } from 'kysely';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { Streams, Subjects, type PublishedEvent } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import type { NatsConnection } from '@sluice/messaging';
import type { Logger } from '@sluice/service';
import {
  DEFAULT_RETRY,
  nextAttemptDelay,
  NOTIFIED_EVENTS,
  safeOrigin,
  toNotification,
  webhookTarget,
  type RetryPolicy,
} from './budget-notification';
import type { WebhookSender } from './webhook-sender';

export const BUDGET_WEBHOOKS_CONSUMER = 'key-registry-budget-webhooks';

export interface BudgetNotifierOptions {
  nc: NatsConnection;
  db: Kysely<Database>;
  sender: WebhookSender;
  /** The key's own webhook URL, opened from the vault (null without one). */
  webhookUrlOf: (keyId: string) => Promise<string | null>;
  /** `SLUICE_BUDGET_WEBHOOK_URL`: for keys without a webhook of their own. */
  globalUrl?: string | null;
  retry?: RetryPolicy;
  /** How many notifications are sent at once; a slow receiver holds up at most this many. */
  concurrency?: number;
  logger: Logger;
}

const MAX_WAITING_RETRIES = 1000;

/**
 * Creates the notifier's durable consumer without sending anything: a key-registry that cannot sign
 * (no SLUICE_WEBHOOK_SECRET) keeps the notifications in JetStream until one that can starts.
 */
export async function holdBudgetNotifications(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers
    .add(Streams.events.name, {
      durable_name: BUDGET_WEBHOOKS_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      filter_subject: Subjects.keyEvents,
      // A message waiting out its retry delay stays pending: room for many of them, so one key's
      // failing receiver does not hold back every other key's notifications (sending is bounded below).
      max_ack_pending: MAX_WAITING_RETRIES,
      ack_wait: 60_000 * 1_000_000,
    })
    .catch(async (err) => {
      await jsm.consumers.info(Streams.events.name, BUDGET_WEBHOOKS_CONSUMER).catch(() => Promise.reject(err));
    });
}

/**
 * Sends budget notifications (threshold reached, period reset) to webhooks, at least once: a
 * durable JetStream consumer on the key events (nats-server 2.9 takes one filter subject, so the
 * other key events are acked and skipped), acked only after a 2xx, nakked with a growing delay
 * otherwise, and given up with an error log after the last attempt. A receiver dedupes on
 * `x-sluice-event-id`. First created, the consumer starts at new events: history is not replayed.
 */
export async function startBudgetNotifier(opts: BudgetNotifierOptions): Promise<{ stop(): Promise<void> }> {
  const retry = opts.retry ?? DEFAULT_RETRY;
  const concurrency = opts.concurrency ?? 8;
  await holdBudgetNotifications(opts.nc);
  const consumer = await jetstream(opts.nc).consumers.get(Streams.events.name, BUDGET_WEBHOOKS_CONSUMER);
  const messages = await consumer.consume({ max_messages: concurrency });
  const inFlight = new Set<Promise<void>>();

  const done = (async () => {
    for await (const msg of messages) {
      const handling = handle(msg, opts, retry).finally(() => inFlight.delete(handling));
      inFlight.add(handling);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  })();

  return {
    async stop() {
      await messages.close();
      await done;
    },
  };
}

async function handle(msg: JsMsg, opts: BudgetNotifierOptions, retry: RetryPolicy): Promise<void> {
  let event: PublishedEvent;
  try {
    event = msg.json<PublishedEvent>();
  } catch {
    return msg.term('not an event');
  }
  if (!NOTIFIED_EVENTS.has(event.type)) return msg.ack();
  const attempt = msg.info.deliveryCount;
  try {
    const keyId = (event.data as { keyId: string }).keyId;
    const key = await opts.db.selectFrom('keys_view').select(['name']).where('id', '=', keyId).executeTakeFirst();
    const url = webhookTarget(await opts.webhookUrlOf(keyId), opts.globalUrl);
    if (!url) return msg.ack();
    const body = JSON.stringify(toNotification(event, key?.name ?? null));
    const result = await opts.sender.send(url, body, { 'x-sluice-event-id': event.eventId });
    if (result.ok) return msg.ack();
    const delay = result.permanent ? null : nextAttemptDelay(attempt, retry);
    const fields = {
      eventId: event.eventId,
      type: event.type,
      keyId,
      webhook: safeOrigin(url),
      attempt,
      reason: result.reason,
    };
    if (delay === null) {
      opts.logger.error(fields, 'budget webhook not delivered; giving up');
      return msg.term('webhook not delivered');
    }
    opts.logger.warn({ ...fields, retryInMs: delay }, 'budget webhook failed; will retry');
    msg.nak(delay);
  } catch (err) {
    opts.logger.warn(
      { eventId: event.eventId, attempt, err: (err as Error).message },
      'budget notification failed; will retry',
    );
    msg.nak(nextAttemptDelay(attempt, retry) ?? retry.maxDelayMs);
  }
}
