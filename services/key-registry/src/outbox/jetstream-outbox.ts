import type { Kysely } from 'kysely';
import { contextOf, Subjects, upcastEvent, type PublishedEvent } from '@sluice/contracts';
import { OutboxPublisher, storeLoggerOf, type RecordedEvent } from '@sluice/event-store';
import { publishDurable, type NatsConnection } from '@sluice/messaging';
import type { Logger } from '@sluice/service';

/** The outbox: committed events go to JetStream with msgID = eventId, never "after save". */
export function createJetStreamOutbox(db: Kysely<any>, databaseUrl: string, nc: NatsConnection, logger: Logger): OutboxPublisher {
  return new OutboxPublisher({
    db,
    databaseUrl,
    pollMs: 250,
    logger: storeLoggerOf(logger),
    publish: (event) => publishDurable(nc, Subjects.event(contextOf(event.type), event.type), toPublished(event), event.eventId, traceOf(event)),
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
