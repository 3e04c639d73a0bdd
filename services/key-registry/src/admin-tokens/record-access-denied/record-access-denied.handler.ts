import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  ACCESS_DENIED_REASONS,
  ACCESS_DENIED_STREAM,
  parseOrThrow,
  type Actor,
  type EventMetadata,
} from '@sluice/contracts';
import { appendToStream } from '@sluice/event-store';
import type { Deps } from '../../shared/deps';
import { DenialCoalescer, type DenialRecord } from './denial-coalescer';

/** What admin-api reports; the time is key-registry's own. Never the presented token. */
const DeniedAttemptBody = z.strictObject({
  actor: z.string().min(1).max(128),
  method: z.string().min(1).max(16),
  path: z.string().max(1024),
  reason: z.enum(ACCESS_DENIED_REASONS),
  clientIp: z.string().max(64),
});

const coalescers = new WeakMap<Deps, { coalescer: DenialCoalescer; timer: NodeJS.Timeout | null }>();

function stateOf(deps: Deps) {
  let state = coalescers.get(deps);
  if (!state) coalescers.set(deps, (state = { coalescer: new DenialCoalescer(), timer: null }));
  return state;
}

/**
 * Appends an `AdminAccessDenied` to the one audit stream (expectedVersion 'any': denials do not
 * compete with each other), coalesced per actor and reason so a flood cannot flood the log.
 */
export async function recordAccessDenied(
  deps: Deps,
  payload: { attempt: unknown; actor: Actor },
): Promise<{ recorded: boolean }> {
  const attempt = parseOrThrow(DeniedAttemptBody, payload.attempt);
  const now = deps.now();
  const state = stateOf(deps);
  if (state.coalescer.offer(attempt, now) === 'record') {
    await appendDenials(deps, [{ ...attempt, at: now.toISOString() }], payload.actor.requestId);
    return { recorded: true };
  }
  scheduleFlush(deps, state);
  return { recorded: false };
}

/** Appends the summaries of the windows that have ended (the timer calls it; tests call it with their clock). */
export async function flushCoalescedDenials(deps: Deps): Promise<number> {
  const summaries = stateOf(deps).coalescer.due(deps.now());
  if (summaries.length > 0) await appendDenials(deps, summaries);
  return summaries.length;
}

function scheduleFlush(deps: Deps, state: { coalescer: DenialCoalescer; timer: NodeJS.Timeout | null }): void {
  if (state.timer) return;
  state.timer = setTimeout(() => {
    state.timer = null;
    flushCoalescedDenials(deps)
      .catch(() => {})
      .finally(() => {
        if (state.coalescer.pending) scheduleFlush(deps, state);
      });
  }, state.coalescer.windowMs + 50);
  state.timer.unref();
}

async function appendDenials(deps: Deps, records: DenialRecord[], requestId?: string): Promise<void> {
  await appendToStream(deps.db, {
    streamId: ACCESS_DENIED_STREAM,
    streamType: 'audit',
    expectedVersion: 'any',
    events: records.map((data) => {
      const metadata: EventMetadata = {
        actor: data.actor,
        clientIp: data.clientIp,
        occurredAt: data.at,
        ...(requestId ? { requestId } : {}),
      };
      return { eventId: randomUUID(), type: 'AdminAccessDenied', schemaVersion: 1, data, metadata };
    }),
  });
}
