export { createDb, executePrepared, pingDb, type CreateDbOptions } from './create-db';
export { isDatabaseUnavailable } from './database-unavailable';
export { migrateToLatest } from './migrate-to-latest';
export { createTestDatabase, type TestDatabase } from './testing';
export type * from './schema';
