import type { Kysely } from 'kysely';
import { saveCheckpoint } from './checkpoints';
import { EventFollower } from './event-follower';
import { positionOf } from './read-all';
import { type Logger, type RecordedEvent, silentLogger } from './types';
import { Leader } from './leader';

// The stored name predates the rename (the gateway's SSE relay is the only "relay" now): kept, so a
// restart resumes from the checkpoint an older version saved.
export const OUTBOX_CHECKPOINT = 'relay:jetstream';

export interface OutboxPublisherOptions {
  db: Kysely<any>;
  databaseUrl: string;
  /** Must resolve only once the event is durably published (e.g. a JetStream ack, msgID = eventId). */
  publish: (event: RecordedEvent) => Promise<void>;
  batchSize?: number;
  pollMs?: number;
  /** Pause after a failed publish before retrying it. */
  retryMs?: number;
  /** How often a standby publisher tries to take the lock. */
  lockRetryMs?: number;
  logger?: Logger;
}

/**
 * The outbox publisher: publishes every committed event once, in log order, and advances its
 * checkpoint after each publish resolves. One publisher publishes at a time across processes (see
 * Leader); the others stand by.
 */
export class OutboxPublisher {
  readonly #logger: Logger;
  readonly #leader: Leader;
  #publishing = false;

  constructor(private readonly opts: OutboxPublisherOptions) {
    this.#logger = opts.logger ?? silentLogger;
    this.#leader = new Leader({
      databaseUrl: opts.databaseUrl,
      lockName: OUTBOX_CHECKPOINT,
      lockRetryMs: opts.lockRetryMs,
      logger: this.#logger,
      lead: (until) => this.#publishWhileLeader(until),
    });
  }

  /** True while this relay holds the lock and publishes. */
  get isLeader(): boolean {
    return this.#publishing;
  }

  start(): void {
    this.#leader.start();
  }

  stop(): Promise<void> {
    return this.#leader.stop();
  }

  async #publishWhileLeader(until: Promise<unknown>): Promise<void> {
    const { db, databaseUrl, batchSize, pollMs, retryMs, logger } = this.opts;
    const follower = new EventFollower({
      db,
      databaseUrl,
      checkpointName: OUTBOX_CHECKPOINT,
      batchSize,
      pollMs,
      retryMs,
      logger,
      handler: (events) => this.#publishEach(events),
    });
    await follower.start();
    this.#publishing = true;
    this.#logger.info('relay took the lock; publishing');
    try {
      await until;
    } finally {
      this.#publishing = false;
      await follower.stop();
    }
  }

  // A checkpoint per event, not per batch: a failed publish must not republish the ones before it.
  async #publishEach(events: RecordedEvent[]): Promise<void> {
    for (const event of events) {
      await this.opts.publish(event);
      await saveCheckpoint(this.opts.db, OUTBOX_CHECKPOINT, positionOf(event));
    }
  }
}
