import type { Kysely } from 'kysely';
import { contextOf, Subjects, upcastEvent, type PublishedEvent } from '@sluice/contracts';
import { OutboxPublisher, storeLoggerOf, type RecordedEvent } from '@sluice/event-store';
import { publishDurable, type NatsConnection } from '@sluice/messaging';
import type { Logger } from '@sluice/service';

/**
 * How often the outbox publisher and the sealer look at the log on their own. Every commit wakes them at once
 * (NOTIFY), and so does their listener's reconnection, so this only bounds the delay of a
 * notification lost some other way; a shorter poll costs an idle system queries all day long.
 */
export const LOG_FALLBACK_POLL_MS = 5000;

/** The outbox: committed events go to JetStream with msgID = eventId, never "after save". */
export function createJetStreamOutbox(
  db: Kysely<any>,
  databaseUrl: string,
  nc: NatsConnection,
  logger: Logger,
): OutboxPublisher {
  return new OutboxPublisher({
    db,
    databaseUrl,
    pollMs: LOG_FALLBACK_POLL_MS,
    logger: storeLoggerOf(logger),
    publish: (event) =>
      publishDurable(
        nc,
        Subjects.event(contextOf(event.type), event.type),
        toPublished(event),
        event.eventId,
        traceOf(event),
      ),
  });
}

/** In its current shape: an event an older version wrote with a secret in it is published without it. */
function toPublished(recorded: RecordedEvent): PublishedEvent {
  const event = upcastEvent(recorded);
  return {
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    streamId: event.streamId,
    streamType: event.streamType,
    streamVersion: event.streamVersion,
    globalPosition: event.globalPosition,
    data: event.data,
    metadata: event.metadata as PublishedEvent['metadata'],
    recordedAt: event.recordedAt.toISOString(),
  };
}

const traceOf = (event: RecordedEvent) => ({
  requestId: event.metadata.requestId as string | undefined,
  traceparent: event.metadata.traceparent as string | undefined,
});
