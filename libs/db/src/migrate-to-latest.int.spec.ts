import { sql, type Kysely } from 'kysely';
import { createTestDatabase, systemMigrations, type TestDatabase } from '@sluice/testing';
import { createDb, historyTableOf, migrateToLatest, type OwnedMigrations } from '.';

let testDb: TestDatabase;
beforeEach(async () => (testDb = await createTestDatabase({ migrate: false })));
afterEach(() => testDb?.drop());

const namesOf = (owned: OwnedMigrations) => Object.keys(owned.migrations).sort();
const history = async (db: Kysely<any>, owned: OwnedMigrations) =>
  (
    await sql<{ name: string }>`select name from ${sql.table(historyTableOf(owned.owner))} order by name`.execute(db)
  ).rows.map((r) => r.name);
const migrateAll = (db: Kysely<any>) => Promise.all(systemMigrations.map((owned) => migrateToLatest(db, owned)));

/** Every migration the single history of the libs/db days recorded, as the last release before the split left it. */
const LEGACY_HISTORY = [
  '2026112401_event_log',
  '2026112402_read_models',
  '2026112403_key_lifecycle',
  '2026112404_idempotency_records',
  '2026112406_usage_queries',
  '2026112410_event_chain',
  '2026112411_key_limits',
  '2026112420_usage_cleaned_fields',
  '2026112421_key_webhook_urls',
  '2026112422_usage_corrections',
  '2026120401_usage_trace_id',
  '2026120402_messages_usage',
  '2026120411_provider_responses_flag',
  '2026120412_stored_responses',
];

/**
 * The schema and history an older Sluice left: every legacy migration applied in name order, recorded in
 * `kysely_migration`.
 */
async function legacyDatabase(db: Kysely<any>): Promise<void> {
  for (const name of LEGACY_HISTORY) {
    for (const owned of systemMigrations) await owned.migrations[name]?.up(db);
  }
  await sql`create table kysely_migration (name varchar(255) not null primary key, timestamp varchar(255) not null)`.execute(
    db,
  );
  await sql`create table kysely_migration_lock (id varchar(255) not null primary key, is_locked integer not null default 0)`.execute(
    db,
  );
  await sql`insert into kysely_migration_lock (id) values ('migration_lock')`.execute(db);
  for (const name of LEGACY_HISTORY)
    await sql`insert into kysely_migration values (${name}, ${new Date().toISOString()})`.execute(db);
}

describe('migrateToLatest', () => {
  it("applies every owner's migrations once, under its own history, when several processes start at the same time", async () => {
    const processes = [testDb.db, createDb(testDb.url), createDb(testDb.url), createDb(testDb.url)];
    try {
      await Promise.all(processes.map(migrateAll));
    } finally {
      await Promise.all(processes.slice(1).map((db) => db.destroy()));
    }

    for (const owned of systemMigrations) expect(await history(testDb.db, owned)).toEqual(namesOf(owned));
    await expect(migrateAll(testDb.db)).resolves.toBeDefined();
  });

  it('takes over a database an older Sluice migrated under one history: nothing applied twice, its data kept, new migrations applied', async () => {
    await legacyDatabase(testDb.db);
    await sql`insert into keys_view (id, name, status, key_hash, key_hint, created_at, version) values ('key_1', 'billing', 'active', 'h1', 'sk-…1', now(), 1)`.execute(
      testDb.db,
    );
    await sql`
      insert into usage_records (request_id, key_id, model, upstream_model, provider_id, operation, stream, status, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_usd, estimated, latency_ms, client_ip, started_at)
      values ('call_1', 'key_1', 'gpt', 'gpt', 'prov_1', 'chat', false, 200, 10, 0, 5, 0, 0.25, false, 12, '127.0.0.1', now())`.execute(
      testDb.db,
    );

    // Key-registry and metering start together, each with two replicas.
    const other = createDb(testDb.url);
    try {
      await Promise.all([migrateAll(testDb.db), migrateAll(other)]);
    } finally {
      await other.destroy();
    }

    for (const owned of systemMigrations) expect(await history(testDb.db, owned)).toEqual(namesOf(owned));
    const { rows: keys } = await sql<{ name: string }>`select name from keys_view`.execute(testDb.db);
    expect(keys).toEqual([{ name: 'billing' }]);
    // The migration added since (metering's contract for policy) reads the older record.
    const { rows: ledger } = await sql<{
      request_id: string;
      cost_usd: string;
      corrected: boolean;
    }>`select request_id, cost_usd, corrected from usage_ledger`.execute(testDb.db);
    expect(ledger).toEqual([{ request_id: 'call_1', cost_usd: '0.2500000000', corrected: false }]);
    // The old history is left as it was.
    const { rows: legacy } = await sql<{ count: string }>`select count(*) from kysely_migration`.execute(testDb.db);
    expect(Number(legacy[0].count)).toBe(LEGACY_HISTORY.length);
  });
});
