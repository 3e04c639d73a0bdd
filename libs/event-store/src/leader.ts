import { Client } from 'pg';
import type { Logger } from './types';
import { Wakeup } from './wakeup';

export interface LeaderOptions {
  databaseUrl: string;
  /** Names the advisory lock: one leader per name across every process on the database. */
  lockName: string;
  /** How often a standby tries to take the lock. */
  lockRetryMs?: number;
  logger: Logger;
  /** Runs while this process leads; resolves when `until` settles (lock lost or stop). */
  lead: (until: Promise<unknown>) => Promise<void>;
}

/**
 * Runs `lead` in one process at a time: the holder of a session advisory lock on a dedicated
 * connection. The others stand by and retry; a leader whose lock connection drops stops leading.
 */
export class Leader {
  readonly #wakeup = new Wakeup();
  #stopped = false;
  #stopRequested!: () => void;
  readonly #stop = new Promise<void>((resolve) => (this.#stopRequested = resolve));
  #loop: Promise<void> | null = null;
  #leading = false;

  constructor(private readonly opts: LeaderOptions) {}

  get isLeading(): boolean {
    return this.#leading;
  }

  start(): void {
    if (this.#loop) throw new Error(`${this.opts.lockName} already started`);
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopRequested();
    this.#wakeup.wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { databaseUrl, lockName, lockRetryMs = 1000, logger } = this.opts;
    while (!this.#stopped) {
      const lockClient = new Client({ connectionString: databaseUrl });
      const lost = new Promise<unknown>((resolve) => {
        lockClient.on('error', resolve);
        lockClient.on('end', () => resolve(new Error('connection ended')));
      });
      try {
        await lockClient.connect();
        while (!this.#stopped && !(await tryLock(lockClient, lockName))) await this.#wakeup.wait(lockRetryMs);
        if (!this.#stopped) await this.#leadUntilLost(lost);
      } catch (err) {
        logger.error(`${lockName}: lock connection failed`, { error: errorMessage(err) });
        await this.#wakeup.wait(lockRetryMs);
      } finally {
        await lockClient.end().catch(() => {});
      }
    }
  }

  async #leadUntilLost(lost: Promise<unknown>): Promise<void> {
    const until = Promise.race([lost, this.#stop.then(() => null)]).then((reason) => {
      if (reason)
        this.opts.logger.warn(`${this.opts.lockName}: lost its lock connection; standing by`, {
          error: errorMessage(reason),
        });
    });
    this.#leading = true;
    try {
      await this.opts.lead(until);
    } finally {
      this.#leading = false;
    }
  }
}

async function tryLock(client: Client, lockName: string): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>(
    `select pg_try_advisory_lock(hashtext('sluice'), hashtext($1)) as locked`,
    [lockName],
  );
  return rows[0].locked;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
