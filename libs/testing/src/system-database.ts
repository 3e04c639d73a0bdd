import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { Client } from 'pg';
import { createDb, migrateToLatest, type Database, type OwnedMigrations } from '@sluice/db';
// Tests only: the whole system's schema is every owner's migrations, as the services apply them at start.
import { keyRegistryMigrations } from '../../../services/key-registry/src/db/migrations';
import { meteringMigrations } from '../../../services/metering/src/db/migrations';

/** Every owner's migrations (docs/architecture.md#who-owns-which-table). */
export const systemMigrations: readonly OwnedMigrations[] = [keyRegistryMigrations, meteringMigrations];

/** The whole system's schema, each owner's tables under its own history, as the services' starts make it. */
export async function migrateSystem(db: Kysely<any>): Promise<void> {
  for (const owned of systemMigrations) await migrateToLatest(db, owned);
}

export interface TestDatabase {
  db: Kysely<Database>;
  /** Connection URL of the new database, for code that opens its own connections. */
  url: string;
  /** Closes `db` and drops the database, disconnecting anything still connected. */
  drop(): Promise<void>;
}

/**
 * A fresh, uniquely named database on the server at SLUICE_TEST_DATABASE_URL (a superuser URL),
 * migrated by every owner unless `migrate: false`. Each test file makes its own, so files can run in parallel.
 */
export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.SLUICE_TEST_DATABASE_URL;
  if (!serverUrl) throw new Error('SLUICE_TEST_DATABASE_URL is not set (the jest global setup sets it)');
  const name = `sluice_test_${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, `create database ${name}`);

  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = createDb<Database>(url.toString());
  const drop = async () => {
    await db.destroy();
    await onServer(serverUrl, `drop database if exists ${name} with (force)`);
  };
  try {
    if (opts.migrate !== false) await migrateSystem(db);
  } catch (err) {
    await drop();
    throw err;
  }
  return { db, url: url.toString(), drop };
}

async function onServer(serverUrl: string, statement: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
