import { sql, type Kysely } from 'kysely';
import { Subjects, type SyncRequest } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { request, type NatsConnection } from '@sluice/messaging';
import { logger } from './logger';

const SYNC_TIMEOUT_MS = 2000;

/**
 * Waits until policy enforces the latest event of `streamId`, so an admin change is in force when
 * its response arrives: a revoked key is refused on the very next call, a new key or model works
 * on the first. Bounded: if policy is slow or down, the change still stands and the response
 * says nothing more; policy catches up from the stream.
 */
export async function awaitPolicy(db: Kysely<Database>, nc: NatsConnection, streamId: string): Promise<boolean> {
  const { rows } = await sql<{ version: number | null }>`select max(stream_version) as version from events where stream_id = ${streamId}`.execute(db);
  const version = rows[0]?.version;
  if (!version) return true;
  try {
    const reply = await request<{ applied: boolean }>(nc, Subjects.rpc.policySync, { streamId, version, timeoutMs: SYNC_TIMEOUT_MS } satisfies SyncRequest, {
      timeoutMs: SYNC_TIMEOUT_MS + 500,
    });
    return reply.applied;
  } catch (err) {
    logger.warn({ streamId, err: (err as Error).message }, 'policy did not confirm the change in time');
    return false;
  }
}
