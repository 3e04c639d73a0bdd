import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
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
  // The pool listens only while a connection is idle: one that dies while checked out (a Postgres
  // crash mid-transaction) emits 'error' with no listener and would crash the process. Its query
  // fails anyway and the pool discards it on release, so the event itself needs no handling.
  pool.on('connect', (client) => client.on('error', ignore));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  pools.set(db, pool);
  return db;
}

const pools = new WeakMap<Kysely<any>, Pool>();

/**
 * Runs one statement as a named prepared statement: Postgres parses and plans its text once per
 * connection instead of at every call, which for a hot statement costs it more than executing it.
 * `text` must never change under the same `name`. On a Kysely not made by createDb: a plain query.
 */
export async function executePrepared<R>(db: Kysely<any>, name: string, text: string, values: unknown[]): Promise<R[]> {
  const pool = pools.get(db);
  if (pool) return (await pool.query({ name, text, values })).rows as R[];
  return (await db.executeQuery<R>(CompiledQuery.raw(text, values))).rows;
}

function ignore(): void {}

/** Whether Postgres answers a trivial query within `timeoutMs` (for the metrics' connectivity gauge). */
export async function pingDb(db: Kysely<any>, timeoutMs = 1000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const answered = sql`select 1`.execute(db).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([answered, late]);
  } finally {
    clearTimeout(timer);
  }
}
