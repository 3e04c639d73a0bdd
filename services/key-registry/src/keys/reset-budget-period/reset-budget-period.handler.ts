import type { Deps } from '../../shared/deps';
import { retryOnConflict } from '../../shared/retry-on-conflict';
import { runKeyCommand } from '../key-stream';
import { decideResetBudgetPeriod } from './reset-budget-period';

const BUDGET_RESET = { actor: 'key-registry:budget-reset' };

/** Starts the key's current budget period if it is not recorded yet; true when a reset was appended. */
export async function resetBudgetPeriod(deps: Deps, keyId: string): Promise<boolean> {
  const events = await retryOnConflict(() =>
    runKeyCommand(deps, keyId, BUDGET_RESET, (state, now) =>
      decideResetBudgetPeriod({ type: 'ResetBudgetPeriod', keyId, now }, state),
    ),
  );
  return events.length > 0;
}
