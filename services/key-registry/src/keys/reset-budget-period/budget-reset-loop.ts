import { sql, type Kysely } from 'kysely';
import { budgetPeriodAt } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { Leader, type Logger } from '@sluice/event-store';
import type { Deps } from '../../shared/deps';
import { resetBudgetPeriod } from './reset-budget-period.handler';

export const BUDGET_RESET_LOCK = 'key-registry:budget-reset';

/** Live keys with a periodic budget whose current period began after the one keys_view records. */
export async function findKeysDueForReset(db: Kysely<Database>, now: Date): Promise<string[]> {
  const rows = await db
    .selectFrom('keys_view')
    .select(['id', 'created_at', 'budget', 'budget_period_start'])
    .where('status', 'in', ['active', 'disabled'])
    .where(sql<string | null>`budget->>'period'`, 'is not', null)
    .execute();
  return rows
    .filter((row) => {
      const current = budgetPeriodAt(row.created_at.getTime(), row.budget?.period ?? null, now.getTime());
      return current.start > (row.budget_period_start ?? row.created_at).getTime();
    })
    .map((row) => row.id);
}

/** One pass: a KeyBudgetReset for every key that is due; returns how many were appended. */
export async function resetDueBudgets(deps: Deps, logger?: Logger): Promise<number> {
  let resets = 0;
  for (const keyId of await findKeysDueForReset(deps.db, deps.now())) {
    try {
      if (await resetBudgetPeriod(deps, keyId)) resets++;
    } catch (err) {
      logger?.error('budget reset failed; retried on the next pass', { keyId, error: (err as Error).message });
    }
  }
  return resets;
}

export interface BudgetResetLoopOptions {
  deps: Deps;
  databaseUrl: string;
  intervalMs: number;
  lockRetryMs?: number;
  logger: Logger;
}

/**
 * Appends budget resets as periods end, in one process at a time (the holder of an advisory lock,
 * like the relay and the sealer): two processes would only race to append the same reset, which
 * the stream's expected version turns into a no-op for the loser, but there is no point scanning twice.
 */
export class BudgetResetLoop {
  readonly #leader: Leader;

  constructor(private readonly opts: BudgetResetLoopOptions) {
    this.#leader = new Leader({
      databaseUrl: opts.databaseUrl,
      lockName: BUDGET_RESET_LOCK,
      lockRetryMs: opts.lockRetryMs,
      logger: opts.logger,
      lead: (until) => this.#resetWhileLeader(until),
    });
  }

  get isLeading(): boolean {
    return this.#leader.isLeading;
  }

  start(): void {
    this.#leader.start();
  }

  stop(): Promise<void> {
    return this.#leader.stop();
  }

  async #resetWhileLeader(until: Promise<unknown>): Promise<void> {
    let leading = true;
    void until.then(() => (leading = false));
    while (leading) {
      try {
        const resets = await resetDueBudgets(this.opts.deps, this.opts.logger);
        if (resets > 0) this.opts.logger.info('budget periods reset', { resets });
      } catch (err) {
        this.opts.logger.error('budget reset pass failed', { error: (err as Error).message });
      }
      await sleepUnless(this.opts.intervalMs, until);
    }
  }
}

function sleepUnless(ms: number, until: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
    until.then(() => undefined),
  ]).finally(() => clearTimeout(timer));
}
