import { type Kysely, sql, type Transaction } from 'kysely';
import { chainHash, GENESIS_HASH } from './chain';
import { loadChainedEvents } from './chain-rows';
import { EventFollower } from './event-follower';
import { type Logger, type RecordedEvent, silentLogger } from './types';
import { Leader } from './leader';

export const SEALER_CHECKPOINT = 'sealer:event-chain';

export interface SealerOptions {
  db: Kysely<any>;
  databaseUrl: string;
  batchSize?: number;
  pollMs?: number;
  retryMs?: number;
  /** How often a standby sealer tries to take the lock. */
  lockRetryMs?: number;
  logger?: Logger;
}

/**
 * Writes the hash chain: follows the log in the global reader's order (which never skips a late
 * commit) and appends one `event_chain` link per event, in the same transaction as its
 * checkpoint. Appends stay concurrent; only the sealer is serial. One sealer at a time across
 * processes: the holder of a session advisory lock, as for the relay.
 */
export class Sealer {
  readonly #logger: Logger;
  readonly #leader: Leader;

  constructor(private readonly opts: SealerOptions) {
    this.#logger = opts.logger ?? silentLogger;
    this.#leader = new Leader({
      databaseUrl: opts.databaseUrl,
      lockName: SEALER_CHECKPOINT,
      lockRetryMs: opts.lockRetryMs,
      logger: this.#logger,
      lead: (until) => this.#sealWhileLeader(until),
    });
  }

  start(): void {
    this.#leader.start();
  }

  stop(): Promise<void> {
    return this.#leader.stop();
  }

  async #sealWhileLeader(until: Promise<unknown>): Promise<void> {
    const { db, databaseUrl, batchSize = 500, pollMs, retryMs, logger } = this.opts;
    const follower = new EventFollower({
      db,
      databaseUrl,
      checkpointName: SEALER_CHECKPOINT,
      batchSize,
      pollMs,
      retryMs,
      logger,
      transactional: true,
      handler: (events, trx) => sealBatch(trx, events),
    });
    await follower.start();
    this.#logger.info('sealer took the lock; chaining the log');
    try {
      await until;
    } finally {
      await follower.stop();
    }
  }
}

/** Appends one link per event, after the chain's current head. Exported for the benchmark and tests. */
export async function sealBatch(trx: Transaction<any> | Kysely<any>, events: RecordedEvent[]): Promise<void> {
  const { rows } = await sql<{
    seq: string;
    hash: string;
  }>`select seq, hash from event_chain order by seq desc limit 1`.execute(trx);
  let seq = BigInt(rows[0]?.seq ?? '0');
  let prevHash = rows[0]?.hash ?? GENESIS_HASH;
  const chained = await loadChainedEvents(
    trx,
    events.map((e) => e.globalPosition),
  );
  const links = events.map((event) => {
    const row = chained.get(event.globalPosition);
    if (!row) throw new Error(`event ${event.globalPosition} vanished before it was sealed`);
    const hash = chainHash(prevHash, row);
    seq += 1n;
    const link = {
      seq: seq.toString(),
      global_position: event.globalPosition,
      event_id: event.eventId,
      prev_hash: prevHash,
      hash,
    };
    prevHash = hash;
    return link;
  });
  await trx.insertInto('event_chain').values(links).execute();
}
