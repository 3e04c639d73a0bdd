import { randomUUID } from 'node:crypto';
import { type ControlledTransaction, type Kysely, sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import type { NewEvent } from '../src';

export function newEvent(type = 'SomethingHappened', data: unknown = { n: 1 }): NewEvent {
  return { eventId: randomUUID(), type, schemaVersion: 1, data, metadata: { actor: 'test' } };
}

export const streamId = (prefix = 'thing') => `${prefix}-${randomUUID()}`;

/** Polls `read` until `done` holds (other test files' transactions can briefly hold xmin back). */
export async function eventually<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs}ms; last value: ${JSON.stringify(value)}`);
    await sleep(20);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `count` sessions of this database are waiting on a lock. */
export async function lockWaiters(db: Kysely<any>, count: number): Promise<void> {
  await eventually(
    async () => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
      return rows[0].n;
    },
    (n) => n >= count,
  );
}

/** Settles a promise into a value the test can inspect without an unhandled rejection. */
export function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * Undo steps run after each test even when it fails, so a failed assertion cannot leave an open
 * transaction or a running follower behind (either would stop the test database being dropped).
 */
export class Cleanup {
  readonly #steps: (() => Promise<unknown>)[] = [];

  defer(step: () => Promise<unknown>): void {
    this.#steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) await step().catch(() => {});
  }

  /** A transaction the test commits by hand; rolled back afterwards if it did not. */
  async transaction(db: Kysely<any>): Promise<ControlledTransaction<any>> {
    const trx = await db.startTransaction().execute();
    this.defer(async () => {
      if (!trx.isCommitted && !trx.isRolledBack) await trx.rollback().execute();
    });
    return trx;
  }
}

/**
 * A fresh migrated database for each test, and a Cleanup that runs before it is dropped. Read
 * `fresh.db` inside tests and hooks (it changes per test).
 */
export function freshDatabasePerTest(): { readonly db: TestDatabase; cleanup: Cleanup } {
  let current: TestDatabase | undefined;
  const cleanup = new Cleanup();
  beforeEach(async () => (current = await createTestDatabase()));
  afterEach(async () => {
    await cleanup.run();
    await current?.drop();
  });
  return {
    get db() {
      if (!current) throw new Error('the test database exists only inside a test');
      return current;
    },
    cleanup,
  };
}
