import type { Kysely } from 'kysely';
import { StoredResponse } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import type { JsMsg } from '@sluice/messaging';
import type { Logger } from '@sluice/service';
import { failureKindOf, sqlstateOf } from '../record-usage/failure-kind';
import { storedResponseRow } from './stored-response-row';

/**
 * Projects `ResponseStored` messages into `stored_responses`, a batch in one statement. The first
 * binding of an id wins (`ON CONFLICT DO NOTHING`): a redelivery is a no-op, a deleted response's
 * emptied row is never filled again, and no later message can hand an id to another key. A message
 * that is not a stored response, or that Postgres refuses for what it holds, is logged and skipped,
 * so it can never hold back the others: only a gateway publishes on the subject.
 */
export function responseBatchHandler(db: Kysely<Database>, retentionMs: number, logger: Logger) {
  return async (msgs: JsMsg[]): Promise<void> => {
    const rows: ReturnType<typeof storedResponseRow>[] = [];
    for (const msg of msgs) {
      let json: unknown;
      try {
        json = msg.json();
      } catch {
        json = undefined;
      }
      const parsed = StoredResponse.safeParse(json);
      if (!parsed.success) {
        logger.error(
          { seq: msg.seq, path: parsed.error.issues[0]?.path.join('.') },
          'a message on the responses stream is not a stored response; skipped',
        );
        continue;
      }
      rows.push(storedResponseRow(parsed.data, retentionMs));
    }
    if (rows.length === 0) return;
    const insert = (values: typeof rows) =>
      db
        .insertInto('stored_responses')
        .values(values)
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    try {
      await insert(rows);
    } catch (err) {
      if (failureKindOf(err) !== 'content') throw err;
      // One row Postgres refuses (a NUL in an id …) must not hold back the batch: each on its own.
      for (const row of rows) {
        try {
          await insert([row]);
        } catch (one) {
          if (failureKindOf(one) !== 'content') throw one;
          logger.error(
            { callId: row.call_id, sqlstate: sqlstateOf(one) },
            'a stored response Postgres refuses; skipped',
          );
        }
      }
    }
  };
}
