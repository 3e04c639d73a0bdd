import type { Kysely } from 'kysely';
import { Consumers, Streams, Subjects } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { consumeDurableBatches, type NatsConnection } from '@sluice/messaging';
import type { Logger } from '@sluice/service';
import { DeadLetterUnavailable, UsageDeadLetters } from '../dead-letters/usage-dead-letters';
import { failureKindOf } from './failure-kind';
import { usageBatchHandler } from './record-usage-messages';

export interface UsageConsumerOptions {
  maxBatch: number;
  maxWaitMs: number;
  ackWaitMs: number;
  /** Deliveries of one message before JetStream gives up on it and it is dead-lettered. */
  maxDeliver: number;
  /** The most calls one statement records (a batch of messages can hold many more: see usageBatchHandler). */
  maxCallsPerStatement?: number;
}

/**
 * Metering's durable consumer of the usage stream. Messages are recorded in batches, one
 * transaction each, and acked only after it commits; a crash before that redelivers them and the
 * unique request id turns the replay into a no-op. While Postgres is unavailable a batch is held and
 * retried in place (it never uses up deliveries and is never dead-lettered); what no retry can
 * record is dead-lettered (see usageBatchHandler).
 */
export async function consumeUsage(
  nc: NatsConnection,
  db: Kysely<Database>,
  logger: Logger,
  opts: UsageConsumerOptions,
): Promise<{ stop(): Promise<void> }> {
  const deadLetters = new UsageDeadLetters(nc, logger);
  return consumeDurableBatches(nc, {
    stream: Streams.usage.name,
    durable: Consumers.meteringUsage,
    filterSubject: Subjects.usage,
    ...opts,
    handler: usageBatchHandler(db, deadLetters, logger, opts.maxCallsPerStatement),
    retryInPlace: (err) => err instanceof DeadLetterUnavailable || failureKindOf(err) === 'unavailable',
    onError: (err, msgs, attempt) => {
      // One line when a batch starts failing, then one every ~10 s while it still does.
      if (attempt % 10 === 0)
        logger.error({ err: err.message, messages: msgs.length, attempt }, 'recording a usage batch failed; retrying');
    },
    onMaxDeliveries: (msg) => deadLetters.keep(msg, `not recorded after ${opts.maxDeliver} deliveries`),
  });
}
