import { type Kysely, sql } from 'kysely';
import { type ChainBreak, ChainChecker } from './chain';
import { readLinks } from './chain-rows';
import { loadCheckpoint } from './checkpoints';
import { SEALER_CHECKPOINT } from './sealer';

export interface ChainVerdict {
  ok: boolean;
  /** Links checked. */
  checked: number;
  /** The last link: record it somewhere else to detect a chain rewritten from scratch. */
  head: { seq: string; position: string; hash: string } | null;
  firstBreak: ChainBreak | null;
}

/**
 * Recomputes the whole chain from the events and names the first position that does not match:
 * an edited event (`event_modified`), a deleted one (`event_missing`), an edited or removed link
 * (`chain_modified`), or an event the sealer has passed that has no link (`event_unsealed`: a row
 * inserted behind the sealer's back).
 */
export async function verifyChain(db: Kysely<any>, opts: { pageSize?: number } = {}): Promise<ChainVerdict> {
  const pageSize = opts.pageSize ?? 1000;
  const checker = new ChainChecker(true);
  let checked = 0;
  let head: ChainVerdict['head'] = null;
  let afterSeq = '0';
  for (;;) {
    const links = await readLinks(db, afterSeq, pageSize);
    for (const link of links) {
      const broken = checker.check(link, link.position);
      if (broken) return { ok: false, checked, head, firstBreak: broken };
      checked += 1;
      head = { seq: link.seq, position: link.position, hash: link.hash };
    }
    if (links.length < pageSize) break;
    afterSeq = links[links.length - 1].seq;
  }
  const unsealed = await firstUnsealedBehindSealer(db);
  if (unsealed)
    return { ok: false, checked, head, firstBreak: { position: unsealed, seq: null, reason: 'event_unsealed' } };
  return { ok: true, checked, head, firstBreak: null };
}

async function firstUnsealedBehindSealer(db: Kysely<any>): Promise<string | null> {
  const sealed = await loadCheckpoint(db, SEALER_CHECKPOINT);
  if (!sealed) return null;
  const { rows } = await sql<{ global_position: string }>`
    select e.global_position from events e
    where (e.transaction_id, e.global_position) <= (${sealed.transactionId}::xid8, ${sealed.globalPosition}::bigint)
      and not exists (select 1 from event_chain c where c.global_position = e.global_position)
    order by e.transaction_id, e.global_position limit 1`.execute(db);
  return rows[0]?.global_position ?? null;
}
