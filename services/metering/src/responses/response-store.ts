import type { Kysely } from 'kysely';
import {
  Consumers,
  Streams,
  Subjects,
  type ConversationTurn,
  type ResponseDeleteReply,
  type ResponseDeleteRequest,
  type ResponseLookupReply,
  type ResponseLookupRequest,
} from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { consumeDurableBatches, durableCaughtUp, maxPayloadOf, serve, type NatsConnection } from '@sluice/messaging';
import type { Logger } from '@sluice/service';
import { failureKindOf } from '../record-usage/failure-kind';
import { responseBatchHandler } from './response-projection';
import { conversationTurns, deleteResponse, findResponse, purgeExpired } from './response-queries';

export interface ResponseStoreOptions {
  retentionMs: number;
  /** How long a miss waits for the projection to reach the stream's end before it answers "not found". */
  catchUpMs: number;
  /** How long the projection waits for a batch to fill; a miss has every metering process hand its batch over at once. */
  batchWaitMs: number;
  purgeEveryMs: number;
}

// Room in a reply for its envelope and the stored response's metadata.
const REPLY_MARGIN_BYTES = 4096;
/** Turns read from Postgres for one page of a conversation. */
const PAGE_TURNS = 200;
const PURGE_BATCH = 1000;

/**
 * Metering's store of the responses `/v1/responses` returned: a projection of the responses stream
 * and the gateway's questions about it. Every question names the asking key, and another key's
 * response is answered exactly like an unknown id. A miss first waits for the projection to catch
 * up with the stream, so a response its client has finished receiving is always found.
 */
export async function serveResponseStore(
  nc: NatsConnection,
  db: Kysely<Database>,
  logger: Logger,
  opts: ResponseStoreOptions,
): Promise<{ stop(): Promise<void> }> {
  const consumer = await consumeDurableBatches(nc, {
    stream: Streams.responses.name,
    durable: Consumers.meteringResponses,
    filterSubject: Subjects.responseStored,
    ackWaitMs: 10_000,
    maxWaitMs: opts.batchWaitMs,
    handler: responseBatchHandler(db, opts.retentionMs, logger),
    retryInPlace: (err) => failureKindOf(err) === 'unavailable',
    onError: (err, msgs, attempt) => {
      if (attempt % 10 === 0)
        logger.error({ err: err.message, messages: msgs.length, attempt }, 'storing responses failed; retrying');
    },
  });
  // Replicas share the durable consumer: the response asked for may be in another process's batch.
  const flushing = nc.subscribe(Subjects.rpc.responsesFlush, { callback: () => consumer.flushNow() });
  const flushAll = () => {
    consumer.flushNow();
    nc.publish(Subjects.rpc.responsesFlush);
  };
  const caughtUp = coalesced(() =>
    durableCaughtUp(nc, Streams.responses.name, Consumers.meteringResponses, opts.catchUpMs, flushAll).catch(
      () => false,
    ),
  );

  const find = async (id: string, keyId: string) =>
    (await findResponse(db, id, keyId, new Date())) ??
    ((await caughtUp()) ? findResponse(db, id, keyId, new Date()) : undefined);

  const lookup = async (req: ResponseLookupRequest): Promise<ResponseLookupReply> => {
    if (typeof req?.responseId !== 'string' || typeof req.keyId !== 'string') return { found: false };
    const response = await find(req.responseId, req.keyId);
    if (!response) return { found: false };
    if (!req.conversation) return { found: true, response };
    const { response: _r, input: _i, ...meta } = response;
    const chain = await conversationTurns(db, req.responseId, req.keyId, new Date(), PAGE_TURNS);
    const budget = maxPayloadOf(nc) - REPLY_MARGIN_BYTES - Buffer.byteLength(JSON.stringify(meta));
    const turns: ConversationTurn[] = [];
    let size = 0;
    let continueFrom: string | null = null;
    for (const entry of chain) {
      const bytes = Buffer.byteLength(JSON.stringify(entry.turn)) + 1;
      // A turn was published in one message, so it fits in one reply; a page holds at least one.
      if (turns.length > 0 && size + bytes > budget) {
        continueFrom = entry.id;
        break;
      }
      turns.push(entry.turn);
      size += bytes;
    }
    // A full page read from Postgres goes on from the oldest turn's predecessor.
    if (continueFrom === null && chain.length === PAGE_TURNS) continueFrom = chain[chain.length - 1].previous;
    return { found: true, response: meta, turns, continueFrom };
  };

  const remove = async (req: ResponseDeleteRequest): Promise<ResponseDeleteReply> => {
    if (typeof req?.responseId !== 'string' || typeof req.keyId !== 'string') return { deleted: false };
    if (await deleteResponse(db, req.responseId, req.keyId, new Date())) return { deleted: true };
    return { deleted: (await caughtUp()) && (await deleteResponse(db, req.responseId, req.keyId, new Date())) };
  };

  const subscriptions = [
    serve(nc, Subjects.rpc.responseLookup, async (req) => lookup(req as ResponseLookupRequest), {
      queue: 'metering',
      logger,
    }),
    serve(nc, Subjects.rpc.responseDelete, async (req) => remove(req as ResponseDeleteRequest), {
      queue: 'metering',
      logger,
    }),
  ];

  const purge = async () => {
    try {
      for (let n = PURGE_BATCH; n === PURGE_BATCH; ) n = await purgeExpired(db, new Date(), PURGE_BATCH);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'purging expired responses failed; retrying later');
    }
  };
  const purger = setInterval(() => void purge(), opts.purgeEveryMs);
  purger.unref();

  return {
    async stop() {
      clearInterval(purger);
      for (const s of subscriptions) s.unsubscribe();
      flushing.unsubscribe();
      await consumer.stop();
    },
  };
}

/**
 * Misses arriving while a catch-up runs share the next one, which starts after it (and so reads the
 * stream's end after they asked): however many lookups miss at once, at most two wait on JetStream.
 */
function coalesced(wait: () => Promise<boolean>): () => Promise<boolean> {
  let running: Promise<boolean> | null = null;
  let queued: Promise<boolean> | null = null;
  const run = (): Promise<boolean> => {
    if (running === null) {
      running = wait().finally(() => (running = null));
      return running;
    }
    queued ??= running.then(() => {
      queued = null;
      return run();
    });
    return queued;
  };
  return run;
}
