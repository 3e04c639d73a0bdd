import type { Kysely, Transaction } from 'kysely';
import { EVENTS_CHANNEL } from './append-to-stream';
import { loadCheckpoint, saveCheckpoint } from './checkpoints';
import { NotificationListener } from './notification-listener';
import { hasEventsAfter, positionOf, readAll } from './read-all';
import { type Logger, type LogPosition, type RecordedEvent, silentLogger } from './types';
import { Wakeup } from './wakeup';

/** Bounds the look-again interval while a long transaction holds events back (~50 reads/s). */
const HELD_BACK_MAX_MS = 20;

interface CommonOptions {
  db: Kysely<any>;
  /** For the dedicated LISTEN connection. */
  databaseUrl: string;
  /** Row in `checkpoints`: one per relay or projection. */
  checkpointName: string;
  batchSize?: number;
  /** Fallback poll interval; notifications usually wake the follower sooner. */
  pollMs?: number;
  /** Pause after a failed batch before retrying it. */
  retryMs?: number;
  logger?: Logger;
}

export type EventFollowerOptions = CommonOptions &
  (
    | { transactional?: false; handler: (events: RecordedEvent[]) => Promise<void> }
    /** The handler's writes and the checkpoint commit together: for projections. */
    | { transactional: true; handler: (events: RecordedEvent[], trx: Transaction<any>) => Promise<void> }
  );

/**
 * Feeds every committed event, in log order, to a handler, batch by batch, and saves the
 * checkpoint after each batch the handler completes. A failed batch is retried from the saved
 * checkpoint, so delivery is at-least-once and in order; nothing is skipped.
 */
export class EventFollower {
  readonly #wakeup = new Wakeup();
  readonly #listener: NotificationListener;
  readonly #logger: Logger;
  #stopped = false;
  #loop: Promise<void> | null = null;

  constructor(private readonly opts: EventFollowerOptions) {
    this.#logger = opts.logger ?? silentLogger;
    this.#listener = new NotificationListener(
      opts.databaseUrl,
      EVENTS_CHANNEL,
      () => this.#wakeup.wake(),
      this.#logger,
    );
  }

  /** Resolves once listening; events are then handled in the background until stop(). */
  async start(): Promise<void> {
    if (this.#loop) throw new Error(`follower ${this.opts.checkpointName} already started`);
    await this.#listener.start();
    this.#loop = this.#run();
  }

  /** Lets the batch in hand finish, then stops. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wakeup.wake();
    await this.#loop;
    await this.#listener.stop();
  }

  async #run(): Promise<void> {
    const { db, checkpointName, batchSize = 100, pollMs = 200, retryMs = 1000 } = this.opts;
    let position: LogPosition | null | undefined; // undefined: not loaded yet
    let heldBackMs = 0;
    while (!this.#stopped) {
      try {
        if (position === undefined) position = await loadCheckpoint(db, checkpointName);
        const events = await readAll(db, { after: position, limit: batchSize });
        if (events.length === 0) {
          // An event held back by the xmin filter becomes readable when an older, unrelated
          // transaction ends, which notifies nobody: look again after 1, 2, 4… ms, not a full poll.
          const heldBack = await hasEventsAfter(db, position);
          heldBackMs = heldBack ? Math.min(heldBackMs === 0 ? 1 : heldBackMs * 2, HELD_BACK_MAX_MS, pollMs) : 0;
          await this.#wakeup.wait(heldBack ? heldBackMs : pollMs);
          continue;
        }
        heldBackMs = 0;
        await this.#handle(events);
        position = positionOf(events[events.length - 1]);
      } catch (err) {
        this.#logger.error('event follower failed; retrying from its checkpoint', {
          checkpoint: checkpointName,
          error: err instanceof Error ? err.message : String(err),
        });
        position = undefined;
        await this.#wakeup.wait(retryMs);
      }
    }
  }

  async #handle(events: RecordedEvent[]): Promise<void> {
    const { db, checkpointName } = this.opts;
    const last = positionOf(events[events.length - 1]);
    if (this.opts.transactional) {
      const { handler } = this.opts;
      await db.transaction().execute(async (trx) => {
        await handler(events, trx);
        await saveCheckpoint(trx, checkpointName, last);
      });
    } else {
      await this.opts.handler(events);
      await saveCheckpoint(db, checkpointName, last);
    }
  }
}
