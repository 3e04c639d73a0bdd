import type { Kysely } from 'kysely';
import { Client } from 'pg';
import { saveCheckpoint } from './checkpoints';
import { EventFollower } from './event-follower';
import { positionOf } from './read-all';
import { type Logger, type RecordedEvent, silentLogger } from './types';
import { Wakeup } from './wakeup';

export const RELAY_CHECKPOINT = 'relay:jetstream';

export interface RelayOptions {
  db: Kysely<any>;
  databaseUrl: string;
  /** Must resolve only once the event is durably published (e.g. a JetStream ack, msgID = eventId). */
  publish: (event: RecordedEvent) => Promise<void>;
  batchSize?: number;
  pollMs?: number;
  /** Pause after a failed publish before retrying it. */
  retryMs?: number;
  /** How often a standby relay tries to take the lock. */
  lockRetryMs?: number;
  logger?: Logger;
}

/**
 * The outbox relay: publishes every committed event once, in log order, and advances its
 * checkpoint after each publish resolves. One relay publishes at a time across processes: the
 * holder of a session advisory lock on a dedicated connection; the others stand by and retry.
 */
export class Relay {
  readonly #wakeup = new Wakeup();
  readonly #logger: Logger;
  #stopped = false;
  #stopRequested!: () => void;
  readonly #stop = new Promise<void>((resolve) => (this.#stopRequested = resolve));
  #loop: Promise<void> | null = null;
  #leader = false;

  constructor(private readonly opts: RelayOptions) {
    this.#logger = opts.logger ?? silentLogger;
  }

  /** True while this relay holds the lock and publishes. */
  get isLeader(): boolean {
    return this.#leader;
  }

  start(): void {
    if (this.#loop) throw new Error('relay already started');
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopRequested();
    this.#wakeup.wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const lockRetryMs = this.opts.lockRetryMs ?? 1000;
    while (!this.#stopped) {
      const lockClient = new Client({ connectionString: this.opts.databaseUrl });
      const lost = new Promise<unknown>((resolve) => {
        lockClient.on('error', resolve);
        lockClient.on('end', () => resolve(new Error('connection ended')));
      });
      try {
        await lockClient.connect();
        while (!this.#stopped && !(await tryLock(lockClient))) await this.#wakeup.wait(lockRetryMs);
        if (!this.#stopped) await this.#publishWhileLeader(lost);
      } catch (err) {
        this.#logger.error('relay lock connection failed', { error: errorMessage(err) });
        await this.#wakeup.wait(lockRetryMs);
      } finally {
        await lockClient.end().catch(() => {});
      }
    }
  }

  async #publishWhileLeader(lockLost: Promise<unknown>): Promise<void> {
    const { db, databaseUrl, batchSize, pollMs, retryMs, logger } = this.opts;
    const follower = new EventFollower({
      db,
      databaseUrl,
      checkpointName: RELAY_CHECKPOINT,
      batchSize,
      pollMs,
      retryMs,
      logger,
      handler: (events) => this.#publishEach(events),
    });
    await follower.start();
    this.#leader = true;
    this.#logger.info('relay took the lock; publishing');
    try {
      const lost = await Promise.race([lockLost, this.#stop.then(() => null)]);
      if (lost) this.#logger.warn('relay lost its lock connection; standing by', { error: errorMessage(lost) });
    } finally {
      this.#leader = false;
      await follower.stop();
    }
  }

  // A checkpoint per event, not per batch: a failed publish must not republish the ones before it.
  async #publishEach(events: RecordedEvent[]): Promise<void> {
    for (const event of events) {
      await this.opts.publish(event);
      await saveCheckpoint(this.opts.db, RELAY_CHECKPOINT, positionOf(event));
    }
  }
}

async function tryLock(client: Client): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>(
    `select pg_try_advisory_lock(hashtext('sluice'), hashtext($1)) as locked`,
    [RELAY_CHECKPOINT],
  );
  return rows[0].locked;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
