import { UsageMessage } from '@sluice/contracts';
import type { KeyPolicy } from '../keys/key-table';
import type { Limiter } from './limiter';

/** What the intake needs of the process: its keys, its counters, and which keys it owns. */
export interface IntakeState {
  limiter: Limiter;
  keyById(keyId: string): KeyPolicy | undefined;
  owns(keyId: string): boolean;
}

/** A usage message to count, or why not: `null` when it concerns nothing here (the usual case). */
export type Intake = { usage: UsageMessage } | { ignored: null | Ignored };
/** Why a usage message that concerns this process is not counted. */
export type Ignored = 'malformed' | 'another-key';

const NOTHING: Intake = { ignored: null };

/**
 * Which usage messages move this process's counters, checked before anything is counted from them.
 * Both ways a report arrives are open to whoever may publish on them, so a message counts only when
 * it matches the schema (an instant for `startedAt`, finite non-negative integers for tokens and
 * nano-dollars), and a report of a call in flight here only when it names the key the call was
 * admitted for. Over core NATS (`early`) only the report of a call this process holds a
 * reservation for is taken: that path exists to release it before the client's next call, and the
 * durable copy on JetStream settles everything else.
 */
export function intakeUsage(raw: unknown, state: IntakeState, early: boolean): Intake {
  const u = raw as Partial<UsageMessage> | null;
  if (typeof u?.requestId !== 'string' || typeof u.keyId !== 'string' || !state.owns(u.keyId)) return NOTHING;
  const reservation = state.limiter.reservations.get(u.requestId);
  if (!reservation) {
    // The durable copy of a call settled early (the usual case for a key with limits): nothing to do.
    if (early || state.limiter.settledAlready(u.requestId)) return NOTHING;
    const key = state.keyById(u.keyId);
    if (!key || (!key.rateLimits && !key.budget)) return NOTHING;
  }
  const parsed = UsageMessage.safeParse(raw);
  if (!parsed.success) return { ignored: 'malformed' };
  if (reservation && reservation.keyId !== parsed.data.keyId) return { ignored: 'another-key' };
  return { usage: parsed.data };
}
