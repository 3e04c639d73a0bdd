import type { LogPosition } from '@sluice/event-store';
import type { AppliedVersions } from './applied-versions';
import type { EventLog, LogEvent } from './event-log';

const PAGE = 500;
/** An event the log check applies that is older than this was lost by JetStream, not merely in flight. */
const LOST_AFTER_MS = 10_000;

export interface LogFollowerLogger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

/**
 * Applies the key, provider and model events in each stream's order, from the log in Postgres —
 * the record — whichever way policy hears of them. JetStream brings word of a commit within
 * milliseconds, but it is only word: anyone allowed to publish on `sluice.evt.>` could write any
 * body, so a message makes the follower read its stream's new rows from the log (one indexed
 * query) and apply those, never the message. And an acknowledged message JetStream loses is never
 * published again, so `catchUp` (at start, then every check interval) reads the whole log after the
 * last position it read and applies whatever JetStream did not announce — a lost event is in force
 * at most one interval later. One task at a time, so the two paths never apply a stream out of order.
 */
export class LogFollower {
  #queue: Promise<unknown> = Promise.resolve();
  #cursor: LogPosition | null = null;
  #timer?: NodeJS.Timeout;
  #stopped = false;
  #failing = false;

  constructor(
    private readonly log: EventLog,
    private readonly versions: AppliedVersions,
    private readonly apply: (event: LogEvent) => void,
    private readonly logger: LogFollowerLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /** A message from JetStream announcing `streamVersion` of `streamId`: applies that stream's rows up to it. */
  offer(message: LogEvent): Promise<void> {
    return this.#serial(async () => {
      const seen = this.versions.of(message.streamId);
      if (message.streamVersion <= seen) return; // a redelivery: applied already
      const about = {
        streamId: message.streamId.slice(0, 200),
        version: message.streamVersion,
        type: String(message.type).slice(0, 100),
      };
      let rows: LogEvent[];
      try {
        rows = await this.log.readStream(message.streamId, seen + 1);
      } catch (err) {
        this.logger.warn(
          { ...about, err: (err as Error).message },
          'could not read the stream from the log; the next log check applies it',
        );
        return;
      }
      for (const row of rows) {
        // Committed versions of a stream are contiguous; a later one is announced by its own message.
        if (row.streamVersion > message.streamVersion || row.streamVersion !== this.versions.of(row.streamId) + 1)
          break;
        this.#apply(row);
      }
      const row = rows.find((r) => r.streamVersion === message.streamVersion);
      if (!row) this.logger.warn(about, 'an event message has no row in the log in Postgres; nothing applied');
      else if (differs(row, message))
        this.logger.warn(about, 'an event message differs from its row in the log in Postgres; the row was applied');
    });
  }

  /** Reads the log after the last position read; returns how many events JetStream had not delivered. */
  catchUp(): Promise<number> {
    return this.#serial(async () => {
      let applied = 0;
      let lost = 0;
      for (;;) {
        const page = await this.log.readAfter(this.#cursor, PAGE);
        for (const event of page.events) {
          const fresh = await this.#applyInOrder(event);
          applied += fresh;
          if (fresh > 0 && this.now() - Date.parse(event.recordedAt) > LOST_AFTER_MS) lost++;
        }
        this.#cursor = page.cursor;
        if (page.events.length < PAGE) break;
      }
      if (lost > 0)
        this.logger.warn({ events: lost }, 'applied events from the log in Postgres that JetStream never delivered');
      return applied;
    });
  }

  /**
   * At start: everything committed so far, before policy answers anything. `catchUp` stops at the
   * reader's horizon, which an older transaction anywhere on the server can hold back for as long as
   * it runs; an event committed above it (a revocation, a budget) would otherwise be missing while
   * policy already counts calls. Those are applied too, and the cursor stays at the horizon, so the
   * checks that follow still see a late commit below them (an event applied twice is skipped).
   */
  catchUpToNow(): Promise<number> {
    return this.catchUp().then((applied) =>
      this.#serial(async () => {
        let after = this.#cursor;
        for (;;) {
          const page = await this.log.readCommittedAfter(after, PAGE);
          for (const event of page.events) applied += await this.#applyInOrder(event);
          if (page.events.length < PAGE) return applied;
          after = page.cursor;
        }
      }),
    );
  }

  /** Checks the log every `intervalMs` until stop(). */
  start(intervalMs: number): void {
    const tick = () => {
      this.#timer = setTimeout(async () => {
        try {
          await this.catchUp();
          if (this.#failing) this.logger.info({}, 'the event log in Postgres is readable again');
          this.#failing = false;
        } catch (err) {
          if (!this.#failing)
            this.logger.warn(
              { err: (err as Error).message },
              'could not read the event log in Postgres; policy goes on with JetStream and retries',
            );
          this.#failing = true;
        }
        if (!this.#stopped) tick();
      }, intervalMs);
      this.#timer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#queue;
  }

  /**
   * Applies an event read from the log unless its stream is already past it, after any versions before it; returns how
   * many it applied.
   */
  async #applyInOrder(event: LogEvent): Promise<number> {
    const seen = this.versions.of(event.streamId);
    if (event.streamVersion <= seen) return 0;
    let applied = 0;
    if (event.streamVersion > seen + 1) {
      for (const missing of await this.log.readStream(event.streamId, seen + 1)) {
        if (missing.streamVersion >= event.streamVersion) break;
        this.#apply(missing);
        applied++;
      }
    }
    this.#apply(event);
    return applied + 1;
  }

  #apply(event: LogEvent): void {
    this.apply(event);
    this.versions.applied(event.streamId, event.streamVersion);
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * The relay publishes each row as it is (upcast to today's shape when it was written by an older
 * version, so the body is compared only when the schema versions match).
 */
function differs(row: LogEvent, message: LogEvent): boolean {
  if (row.eventId !== message.eventId || row.type !== message.type) return true;
  return row.schemaVersion === message.schemaVersion && JSON.stringify(row.data) !== JSON.stringify(message.data);
}
