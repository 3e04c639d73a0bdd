import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { appendToStream, readStream, WrongExpectedVersionError } from '@sluice/event-store';
import {
  DomainError,
  ErrorCodes,
  schemaVersionOf,
  upcastEventData,
  type Actor,
  type EventMetadata,
} from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { projectEvent } from '../read-models/project';

export interface DomainEvent {
  type: string;
  data: unknown;
}

export interface CommandRun<S, E extends DomainEvent, C = undefined> {
  streamId: string;
  streamType: string;
  fold: (events: E[]) => S;
  decide: (state: S, context: C) => E[];
  /**
   * Runs in the transaction before the stream is read, e.g. to lock and read rows the decision
   * depends on (a lock waited for here is followed by a fresh read of the stream, not a conflict).
   */
  loadContext?: (trx: Transaction<Database>) => Promise<C>;
  actor: Actor;
  now: Date;
  /** Runs in the same transaction after the append, e.g. to write the vault row. */
  alsoInTransaction?: (trx: Transaction<Database>, events: E[]) => Promise<void>;
}

/**
 * Reads a stream, decides, appends with optimistic concurrency and projects the read models,
 * all in one transaction: the admin API reads its own writes, and a lost race is a 409.
 */
export async function runCommand<S, E extends DomainEvent, C = undefined>(
  db: Kysely<Database>,
  run: CommandRun<S, E, C>,
): Promise<E[]> {
  try {
    return await db.transaction().execute(async (trx) => {
      const context = (await run.loadContext?.(trx)) as C;
      const history = await readStream(trx, run.streamId);
      const events = run.decide(
        run.fold(history.map((e) => ({ type: e.type, data: upcastEventData(e.type, e.schemaVersion, e.data) }) as E)),
        context,
      );
      const metadata: EventMetadata = {
        actor: run.actor.actor,
        requestId: run.actor.requestId,
        traceparent: run.actor.traceparent,
        clientIp: run.actor.clientIp,
        occurredAt: run.now.toISOString(),
      };
      await appendToStream(trx, {
        streamId: run.streamId,
        streamType: run.streamType,
        expectedVersion: history.length === 0 ? 'no_stream' : history.length,
        events: events.map((e) => ({
          eventId: randomUUID(),
          type: e.type,
          schemaVersion: schemaVersionOf(e.type),
          data: e.data,
          metadata: { ...metadata },
        })),
      });
      await run.alsoInTransaction?.(trx, events);
      for (const event of events) await projectEvent(trx, event);
      return events;
    });
  } catch (err) {
    throw translate(err);
  }
}

function translate(err: unknown): unknown {
  if (err instanceof WrongExpectedVersionError) {
    return new DomainError(ErrorCodes.conflict, 'the resource was changed concurrently; retry');
  }
  const pg = err as { code?: string; constraint?: string };
  if (pg.code === '23505' && pg.constraint === 'keys_view_live_name')
    return new DomainError(ErrorCodes.keyNameTaken, 'a key with this name already exists');
  if (pg.code === '23505' && pg.constraint === 'providers_view_live_name') {
    return new DomainError(ErrorCodes.providerNameTaken, 'a provider with this name already exists');
  }
  if (pg.code === '23505' && pg.constraint === 'admin_tokens_view_live_name') {
    return new DomainError(ErrorCodes.adminTokenNameTaken, 'an admin token with this name already exists');
  }
  return err;
}
