import {
  DomainError,
  ErrorCodes,
  normalizeBudget,
  type KeySettingsChange,
  type UpdateKeyBody,
} from '@sluice/contracts';
import { liveKey, type KeyEvent, type KeyState } from '../key';

export interface UpdateKey {
  type: 'UpdateKey';
  keyId: string;
  body: UpdateKeyBody;
  /**
   * The key's webhook URL as sealed now, when the body sets a budget: a new URL is a change even under the same hint.
   */
  currentWebhookUrl?: string | null;
  now: Date;
}

/**
 * Changes the settings named in the body, on an active or disabled key. The event carries only
 * the settings whose value really changes, before and after; a change to nothing is no event.
 * `rateLimits` and `budget` are replaced whole (null removes them). A new budget amount or period
 * does not reset spend: the current period keeps its start and what was spent in it.
 */
export function decideUpdateKey(command: UpdateKey, state: KeyState): KeyEvent[] {
  const key = liveKey(state, command.keyId);
  const requested = normalize(command.body);
  if (requested.expiresAt && new Date(requested.expiresAt) <= command.now) {
    throw new DomainError(ErrorCodes.validation, 'expiresAt must be in the future', { param: 'expiresAt' });
  }
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  const sameWebhookUrl = (command.body.budget?.webhookUrl ?? null) === (command.currentWebhookUrl ?? null);
  for (const [field, value] of Object.entries(requested)) {
    const current = key.settings[field as keyof KeySettingsChange];
    if (canonical(current) === canonical(value) && (field !== 'budget' || sameWebhookUrl)) continue;
    before[field] = current;
    after[field] = value;
  }
  if (Object.keys(after).length === 0) return [];
  return [{ type: 'KeyUpdated', data: { keyId: command.keyId, before, after, updatedAt: command.now.toISOString() } }];
}

function normalize(body: UpdateKeyBody): KeySettingsChange {
  const change: KeySettingsChange = {};
  for (const [field, value] of Object.entries(body)) {
    if (value === undefined) continue;
    (change as Record<string, unknown>)[field] = value === null ? null : normalizeField(field, value);
  }
  return change;
}

function normalizeField(field: string, value: unknown): unknown {
  if (field === 'expiresAt') return new Date(value as string).toISOString();
  if (field === 'budget') return normalizeBudget(value as NonNullable<UpdateKeyBody['budget']>);
  return value;
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` compare equal; list order still counts. */
function canonical(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
