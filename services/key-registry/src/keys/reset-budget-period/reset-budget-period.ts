import { budgetCatchUp } from '../budget-period';
import { keyNotFound, type KeyEvent, type KeyState } from '../key';

export interface ResetBudgetPeriod {
  type: 'ResetBudgetPeriod';
  keyId: string;
  now: Date;
}

/**
 * Starts the key's next budget period when the recorded one has ended: spend counts from zero
 * again. Idempotent: run twice in the same period, the second run decides nothing. A revoked key
 * has no budget to reset.
 */
export function decideResetBudgetPeriod(command: ResetBudgetPeriod, state: KeyState): KeyEvent[] {
  switch (state.status) {
    case 'none':
      throw keyNotFound(command.keyId);
    case 'revoked':
      return [];
    case 'active':
    case 'disabled':
      return budgetCatchUp(state, command.now.getTime(), command.now);
    default: {
      const unknown: never = state;
      return unknown;
    }
  }
}
