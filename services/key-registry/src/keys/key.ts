import type { z } from 'zod';
import {
  budgetPeriodAt,
  DomainError,
  ErrorCodes,
  type KeyBudgetResetV1,
  type KeyBudgetThresholdReachedV1,
  type KeyCreatedV1,
  type KeyDisabledV1,
  type KeyEnabledV1,
  type KeyRegeneratedV1,
  type KeyRevokedV1,
  type KeySettings,
  type KeyUpdatedV1,
} from '@sluice/contracts';

/** What every existing key carries, whatever its status. */
export interface KeyFacts {
  keyId: string;
  keyHash: string;
  createdAt: string;
  settings: KeySettings;
  budgetPeriod: BudgetPeriodFacts;
}

/** The budget period as key-registry has recorded it, and the thresholds reported in it. */
export interface BudgetPeriodFacts {
  /** Start of the current period: the last KeyBudgetReset's, else the key's creation. */
  start: string;
  /** Which period `percents` belong to (normally `start`). */
  thresholdsPeriodStart: string;
  percents: number[];
}

/** The key aggregate: state folded from its stream, and the events its commands decide. */
export type KeyState =
  | { status: 'none' }
  | ({ status: 'active' } & KeyFacts)
  | ({ status: 'disabled' } & KeyFacts)
  | ({ status: 'revoked'; revokedAt: string } & KeyFacts);

export type KeyEvent =
  | { type: 'KeyCreated'; data: z.infer<typeof KeyCreatedV1> }
  | { type: 'KeyUpdated'; data: z.infer<typeof KeyUpdatedV1> }
  | { type: 'KeyRegenerated'; data: z.infer<typeof KeyRegeneratedV1> }
  | { type: 'KeyDisabled'; data: z.infer<typeof KeyDisabledV1> }
  | { type: 'KeyEnabled'; data: z.infer<typeof KeyEnabledV1> }
  | { type: 'KeyRevoked'; data: z.infer<typeof KeyRevokedV1> }
  | { type: 'KeyBudgetReset'; data: z.infer<typeof KeyBudgetResetV1> }
  | { type: 'KeyBudgetThresholdReached'; data: z.infer<typeof KeyBudgetThresholdReachedV1> };

export const initialKeyState: KeyState = { status: 'none' };

export function evolveKey(state: KeyState, event: KeyEvent): KeyState {
  if (event.type === 'KeyCreated') {
    const { keyId, keyHash, keyHint: _hint, createdAt, ...settings } = event.data;
    return {
      status: 'active',
      keyId,
      keyHash,
      createdAt,
      settings,
      budgetPeriod: { start: createdAt, thresholdsPeriodStart: createdAt, percents: [] },
    };
  }
  if (state.status === 'none') return state;
  const facts = factsOf(state);
  switch (event.type) {
    case 'KeyUpdated': {
      const settings = { ...state.settings, ...definedOnly(event.data.after) };
      const start = periodStartAfterChange(
        state.settings.budget,
        settings.budget,
        state.createdAt,
        event.data.updatedAt,
      );
      return {
        ...state,
        settings,
        ...(start ? { budgetPeriod: { start, thresholdsPeriodStart: start, percents: [] } } : {}),
      };
    }
    case 'KeyRegenerated':
      return { ...state, keyHash: event.data.keyHash };
    case 'KeyDisabled':
      return { status: 'disabled', ...facts };
    case 'KeyEnabled':
      return { status: 'active', ...facts };
    case 'KeyRevoked':
      return { status: 'revoked', ...facts, revokedAt: event.data.revokedAt };
    case 'KeyBudgetReset': {
      const start = event.data.periodStart;
      return { ...state, budgetPeriod: { start, thresholdsPeriodStart: start, percents: [] } };
    }
    case 'KeyBudgetThresholdReached': {
      const { periodStart, thresholdPercent } = event.data;
      const earlier = state.budgetPeriod.thresholdsPeriodStart === periodStart ? state.budgetPeriod.percents : [];
      return {
        ...state,
        budgetPeriod: {
          ...state.budgetPeriod,
          thresholdsPeriodStart: periodStart,
          percents: [...earlier, thresholdPercent],
        },
      };
    }
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

/**
 * A budget given to a key that had none, or a new period length, starts counting in the period
 * (anchored at the key's creation) that contains the change: no reset is owed for the periods
 * before it. Null when the period is unchanged.
 */
export function periodStartAfterChange(
  before: KeySettings['budget'],
  after: KeySettings['budget'],
  createdAt: string,
  changedAt: string,
): string | null {
  if (!after || (before && before.period === after.period)) return null;
  return new Date(budgetPeriodAt(Date.parse(createdAt), after.period, Date.parse(changedAt)).start).toISOString();
}

function factsOf(state: Exclude<KeyState, { status: 'none' }>): KeyFacts {
  const { keyId, keyHash, createdAt, settings, budgetPeriod } = state;
  return { keyId, keyHash, createdAt, settings, budgetPeriod };
}

export const foldKey = (events: KeyEvent[]): KeyState => events.reduce(evolveKey, initialKeyState);

/** The key as it stands, for the commands that change an existing key; refuses a missing or revoked one. */
export function liveKey(state: KeyState, keyId: string): Extract<KeyState, { status: 'active' | 'disabled' }> {
  switch (state.status) {
    case 'none':
      throw keyNotFound(keyId);
    case 'revoked':
      throw new DomainError(ErrorCodes.keyNotActive, `key ${keyId} is revoked`);
    case 'active':
    case 'disabled':
      return state;
    default: {
      const unknown: never = state;
      return unknown;
    }
  }
}

export function keyNotFound(keyId: string): DomainError {
  return new DomainError(ErrorCodes.keyNotFound, `key ${keyId} does not exist`);
}

function definedOnly<T extends object>(change: T): Partial<T> {
  return Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) as Partial<T>;
}
