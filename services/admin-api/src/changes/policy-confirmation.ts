import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { parseOrThrow, policyWaitQuery, Subjects, type SyncRequest } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { request, type NatsConnection } from '@sluice/messaging';
import { logger } from '../shared/logger';

/** A stream's version: what policy must have applied for a change to be in force. */
export interface Change {
  streamId: string;
  version: number;
}

/** `<streamId>@<version>`, answered in `x-sluice-change` and read by `GET /admin/v1/changes/{change}`. */
export const changeIdOf = (change: Change): string => `${change.streamId}@${change.version}`;

export function parseChangeId(id: string): Change | null {
  const match = /^(.+)@([1-9]\d{0,9})$/.exec(id);
  return match ? { streamId: match[1], version: Number(match[2]) } : null;
}

// Policy bounds one sync request; a longer wait is several in a row.
const POLICY_MAX_WAIT_MS = 5000;
// Room for policy's own "not yet" answer to arrive after its wait.
const REPLY_MARGIN_MS = 250;

/**
 * Resolves true once policy enforces the change (every partition), false when `waitMs` runs out.
 * The change stands either way: policy catches up from the log (docs/architecture.md).
 */
export async function waitForPolicy(nc: NatsConnection, change: Change, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const timeoutMs = Math.max(0, Math.min(deadline - Date.now(), POLICY_MAX_WAIT_MS));
    try {
      const payload: SyncRequest = { ...change, timeoutMs };
      const reply = await request<{ applied: boolean }>(nc, Subjects.rpc.policySync, payload, {
        timeoutMs: timeoutMs + REPLY_MARGIN_MS,
      });
      if (reply.applied) return true;
    } catch (err) {
      logger.debug({ ...change, err: (err as Error).message }, 'policy did not answer a sync request');
      // No responder fails at once: do not spin until the deadline.
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, Math.max(0, deadline - Date.now()))));
    }
    if (Date.now() >= deadline) return false;
  }
}

/** The version a write produced: the stream's latest. */
export async function latestChange(db: Kysely<Database>, streamId: string): Promise<Change | null> {
  const { rows } = await sql<{
    version: number | null;
  }>`select max(stream_version) as version from events where stream_id = ${streamId}`.execute(db);
  const version = rows[0]?.version;
  return version ? { streamId, version: Number(version) } : null;
}

/** An admin write that waits on policy: its `?wait=` (default 2 s) and its reply. */
export interface PolicyWrite {
  waitMs: number;
  reply: FastifyReply;
}

const writeWait = policyWaitQuery(2);

/** Parsed before the handler runs, so a bad `wait` refuses the write before anything changes. */
export const PolicyWrite = createParamDecorator((_: unknown, context: ExecutionContext): PolicyWrite => {
  const http = context.switchToHttp();
  return {
    waitMs: parseOrThrow(writeWait, http.getRequest<FastifyRequest>().query).wait * 1000,
    reply: http.getResponse<FastifyReply>(),
  };
});

/**
 * Answers what is true about a write: `x-sluice-change` names it; `x-sluice-change-status: applied`
 * with the handler's own status once policy enforces it, else `pending` and 202 — recorded, not
 * yet in force on every gateway.
 */
export async function confirmChange(
  db: Kysely<Database>,
  nc: NatsConnection,
  write: PolicyWrite,
  streamId: string,
): Promise<void> {
  const change = await latestChange(db, streamId);
  if (!change) return;
  const applied = await waitForPolicy(nc, change, write.waitMs);
  if (!applied) logger.warn({ ...change }, 'policy did not confirm the change in time; answered 202');
  void write.reply
    .header('x-sluice-change', changeIdOf(change))
    .header('x-sluice-change-status', applied ? 'applied' : 'pending');
  if (!applied) void write.reply.status(202);
}
