import { sql } from 'kysely';
import { createDb, createTestDatabase, type TestDatabase } from '.';
import { migrateToLatest } from './migrate-to-latest';
import { migrations } from './migrations';

let testDb: TestDatabase;
beforeEach(async () => (testDb = await createTestDatabase({ migrate: false })));
afterEach(() => testDb?.drop());

describe('migrateToLatest', () => {
  it('applies every migration once when several processes start at the same time', async () => {
    const processes = [testDb.db, createDb(testDb.url), createDb(testDb.url), createDb(testDb.url)];
    try {
      await Promise.all(processes.map((db) => migrateToLatest(db)));
    } finally {
      await Promise.all(processes.slice(1).map((db) => db.destroy()));
    }

    const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(testDb.db);
    expect(rows.map((r) => r.name)).toEqual(Object.keys(migrations).sort());
    await expect(migrateToLatest(testDb.db)).resolves.toBeUndefined();
  });
});
