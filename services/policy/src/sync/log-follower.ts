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
 * Applies the key, provider and model events in each stream's order, whichever way they come.
 * JetStream brings them within milliseconds, but an acknowledged message it loses is never
 * published again; the log in Postgres is the record. So a JetStream event beyond the next version
 * of its stream first reads the versions it skipped from the log, and `catchUp` (at start, then
 * every check interval) reads the whole log after the last position it read and applies whatever
 * JetStream did not deliver — a lost event is in force at most one interval later. One task at a
 * time, so the two paths never apply a stream out of order.
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

  /** An event from JetStream. */
  offer(event: LogEvent): Promise<void> {
    return this.#serial(async () => {
      try {
        await this.#applyInOrder(event);
      } catch (err) {
        // Not applied out of order: the next check reads the missing versions and this one together.
        this.logger.warn({ streamId: event.streamId, version: event.streamVersion, err: (err as Error).message }, 'could not read the versions JetStream skipped from the log; the next log check applies them');
      }
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
      if (lost > 0) this.logger.warn({ events: lost }, 'applied events from the log in Postgres that JetStream never delivered');
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
          if (!this.#failing) this.logger.warn({ err: (err as Error).message }, 'could not read the event log in Postgres; policy goes on with JetStream and retries');
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

  /** Applies the event unless its stream is already past it, after any versions before it; returns how many it applied. */
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
