import {
  DomainError,
  ErrorCodes,
  Subjects,
  type Actor,
  type KeyStateReply,
  type KeyStateRequest,
  type KeyView,
} from '@sluice/contracts';
import { request, type NatsConnection } from '@sluice/messaging';
import { logger } from '../../shared/logger';
import { withLiveState } from './key-limits-view';

/** A key read must not wait long on policy: without an answer it shows the settings alone. */
const KEY_STATE_TIMEOUT_MS = 500;

/**
 * Adds policy's live limit state (spend, reservations, windows) to keys, with one request for
 * all of them. Only keys with limits are asked about. If policy does not answer in time the keys
 * are returned as the read model has them: no live fields, no `rateLimitState`.
 */
export async function withLiveLimits(nc: NatsConnection, views: KeyView[]): Promise<KeyView[]> {
  const keyIds = views.filter((v) => v.rateLimits !== null || v.budget !== null).map((v) => v.id);
  if (keyIds.length === 0) return views;
  try {
    const { states } = await request<KeyStateReply>(
      nc,
      Subjects.rpc.policyKeyState,
      { keyIds } satisfies KeyStateRequest,
      { timeoutMs: KEY_STATE_TIMEOUT_MS },
    );
    return views.map((v) => withLiveState(v, states[v.id]));
  } catch (err) {
    logger.warn(
      { keys: keyIds.length, err: (err as Error).message },
      'policy did not report live limit state; keys shown without it',
    );
    return views;
  }
}

/** Explain and simulate answer from policy's memory; this bounds a policy that is down or stuck. */
const POLICY_TIMEOUT_MS = 2000;

/** A question only policy can answer: 503 `UNAVAILABLE` when it does not, its own error when it refuses. */
export async function askPolicy<T>(nc: NatsConnection, subject: string, payload: unknown, trace: Actor): Promise<T> {
  try {
    return await request<T>(nc, subject, payload, { timeoutMs: POLICY_TIMEOUT_MS, trace });
  } catch (err) {
    if (err instanceof DomainError && err.code === ErrorCodes.unavailable) {
      logger.warn({ subject, err: err.message }, 'policy did not answer');
      throw new DomainError(ErrorCodes.unavailable, 'policy did not answer; retry shortly');
    }
    throw err;
  }
}
