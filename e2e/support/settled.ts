import type { BudgetState } from '@sluice/contracts';
import { waitFor } from '@sluice/testing';

type ShownBudget = Pick<BudgetState, 'spentUsd' | 'reservedUsd'>;

/**
 * Waits until a key's budget shows its calls settled — `spentNanos` spent and nothing reserved —
 * and returns it. "Nothing reserved" alone is not that: a call admitted under a lease is told to
 * policy only if it outlives SLUICE_GATEWAY_LEASE_NOTICE_MS (250 ms under `npm start`), so a short
 * one is neither reserved nor spent in the live view until its usage reaches policy.
 */
export function spendSettled<B extends ShownBudget>(
  read: () => Promise<B | null | undefined>,
  spentNanos: number,
  timeoutMs = 5000,
): Promise<B> {
  return waitFor(
    async () => {
      const budget = await read();
      expect({ spentNanos: Math.round(Number(budget?.spentUsd) * 1e9), reservedUsd: budget?.reservedUsd }).toEqual({
        spentNanos,
        reservedUsd: 0,
      });
      return budget!;
    },
    { timeoutMs, intervalMs: 20, description: `${spentNanos} nano-dollars spent and nothing reserved` },
  );
}
