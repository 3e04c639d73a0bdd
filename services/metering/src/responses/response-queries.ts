import { sql, type Kysely } from 'kysely';
import type { ConversationTurn, StoredResponse } from '@sluice/contracts';
import type { Database } from '@sluice/db';

type Row = {
  id: string;
  key_id: string;
  call_id: string;
  model: string;
  mode: 'native' | 'bridged';
  route: Record<string, unknown>;
  previous_response_id: string | null;
  context_tokens: number | null;
  response: Record<string, unknown> | null;
  input: unknown[] | null;
  created_at: Date;
};

const COLUMNS = [
  'id',
  'key_id',
  'call_id',
  'model',
  'mode',
  'route',
  'previous_response_id',
  'context_tokens',
  'response',
  'input',
  'created_at',
] as const;

/** A key's live response: not another key's, not deleted, not expired. */
export async function findResponse(
  db: Kysely<Database>,
  id: string,
  keyId: string,
  now: Date,
): Promise<StoredResponse | undefined> {
  const row = await db
    .selectFrom('stored_responses')
    .select(COLUMNS)
    .where('id', '=', id)
    .where('key_id', '=', keyId)
    .where('deleted_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row && toStored(row as Row);
}

/**
 * The chain a bridged response ends, newest first: at most `maxTurns` rows, same key, not expired (a deleted one is
 * empty).
 */
export async function conversationTurns(
  db: Kysely<Database>,
  id: string,
  keyId: string,
  now: Date,
  maxTurns: number,
): Promise<{ id: string; previous: string | null; turn: ConversationTurn }[]> {
  const rows = await sql<{
    id: string;
    previous_response_id: string | null;
    response: Record<string, unknown> | null;
    input: unknown[] | null;
  }>`
    with recursive chain(id, previous_response_id, response, input, depth) as (
      select id, previous_response_id, response, input, 1 from stored_responses
       where id = ${id} and key_id = ${keyId} and expires_at > ${now}
      union all
      select r.id, r.previous_response_id, r.response, r.input, c.depth + 1 from stored_responses r
        join chain c on r.id = c.previous_response_id
       where r.key_id = ${keyId} and r.expires_at > ${now} and c.depth < ${maxTurns}
    )
    select id, previous_response_id, response, input from chain order by depth`.execute(db);
  return rows.rows.map((r) => ({
    id: r.id,
    previous: r.previous_response_id,
    turn: { input: r.input ?? [], output: Array.isArray(r.response?.output) ? (r.response.output as unknown[]) : [] },
  }));
}

/** Deleting keeps the row, emptied (a replayed message cannot bring the response back). */
export async function deleteResponse(db: Kysely<Database>, id: string, keyId: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('stored_responses')
    .set({ deleted_at: now, response: null, input: null })
    .where('id', '=', id)
    .where('key_id', '=', keyId)
    .where('deleted_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Rows past their retention, a bounded batch at a time. */
export async function purgeExpired(db: Kysely<Database>, now: Date, limit: number): Promise<number> {
  const result =
    await sql`delete from stored_responses where id in (select id from stored_responses where expires_at <= ${now} limit ${limit})`.execute(
      db,
    );
  return Number(result.numAffectedRows ?? 0);
}

function toStored(row: Row): StoredResponse {
  return {
    responseId: row.id,
    keyId: row.key_id,
    callId: row.call_id,
    model: row.model,
    mode: row.mode,
    route: row.route as StoredResponse['route'],
    previousResponseId: row.previous_response_id,
    createdAt: new Date(row.created_at).toISOString(),
    ...(row.context_tokens !== null ? { contextTokens: row.context_tokens } : {}),
    ...(row.response ? { response: row.response } : {}),
    ...(row.input ? { input: row.input } : {}),
  };
}
