import { sql } from 'kysely';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { createDb } from '.';

let testDb: TestDatabase;
beforeEach(async () => (testDb = await createTestDatabase({ migrate: false })));
afterEach(() => testDb?.drop());

describe('createDb', () => {
  // A Postgres crash or restart ends every connection, including ones in use by a transaction.
  it('survives a connection that dies while checked out: the transaction fails, the process lives on, the next query works', async () => {
    const uncaught: Error[] = [];
    const onUncaught = (err: Error) => uncaught.push(err);
    process.prependListener('uncaughtException', onUncaught);
    const db = createDb(testDb.url);
    try {
      const transaction = db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
        await sql`select pg_terminate_backend(${rows[0].pid})`.execute(testDb.db);
        // The connection is ours but idle while the server closes it.
        await sleep(200);
        await sql`select 1`.execute(trx);
      });

      await expect(transaction).rejects.toThrow();
      expect(uncaught).toEqual([]);
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      await db.destroy();
    }
  });
});
