import { Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';

export interface CreateDbOptions {
  /** Pool size (pg's default is 10). */
  max?: number;
  /** An idle pooled connection failed; the pool has already discarded it. */
  onPoolError?: (err: Error) => void;
}

/**
 * A Kysely over a pg Pool. bigint (int8) columns such as `global_position` come back as strings,
 * pg's default: exact beyond 2^53 and JSON-safe. We install no global type parser, so every pg
 * client in the process agrees. xid8 columns come back as strings too.
 */
export function createDb<DB>(databaseUrl: string, opts: CreateDbOptions = {}): Kysely<DB> {
  const pool = new Pool({ connectionString: databaseUrl, max: opts.max });
  // Without a listener, an idle connection dropped by the server would crash the process.
  pool.on('error', (err) => opts.onPoolError?.(err));
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
