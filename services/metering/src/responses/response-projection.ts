import type { Kysely } from 'kysely';
import { StoredResponse } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import type { JsMsg } from '@sluice/messaging';
import type { Logger } from '@sluice/service';
import { storedResponseRow } from './stored-response-row';

/**
 * Projects `ResponseStored` messages into `stored_responses`, a batch in one statement. The first
 * binding of an id wins (`ON CONFLICT DO NOTHING`): a redelivery is a no-op, a deleted response's
 * emptied row is never filled again, and no later message can hand an id to another key. A message
 * that is not a stored response is logged and skipped: only a gateway publishes on the subject.
 */
export function responseBatchHandler(db: Kysely<Database>, retentionMs: number, logger: Logger) {
  return async (msgs: JsMsg[]): Promise<void> => {
    const rows = [];
    for (const msg of msgs) {
      let json: unknown;
      try {
        json = msg.json();
      } catch {
        json = undefined;
      }
      const parsed = StoredResponse.safeParse(json);
      if (!parsed.success) {
        logger.error({ seq: msg.seq, path: parsed.error.issues[0]?.path.join('.') }, 'a message on the responses stream is not a stored response; skipped');
        continue;
      }
      rows.push(storedResponseRow(parsed.data, retentionMs));
    }
    if (rows.length > 0) await db.insertInto('stored_responses').values(rows).onConflict((oc) => oc.column('id').doNothing()).execute();
  };
}
