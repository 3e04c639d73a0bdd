export { createDb, executePrepared, pingDb, type CreateDbOptions } from './create-db';
export { isDatabaseUnavailable } from './database-unavailable';
export { migrateToLatest, historyTableOf, type OwnedMigrations } from './migrate-to-latest';
export { waitForRelations, type WaitForRelationsOptions } from './wait-for-relations';
export { TABLE_OWNERS, relationsReadBy, type Ownership, type Relation, type ServiceName } from './table-owners';
export type * from './schema';
