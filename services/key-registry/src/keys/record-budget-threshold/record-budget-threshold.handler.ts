import { z } from 'zod';
import { parseOrThrow } from '@sluice/contracts';
import type { Deps } from '../../shared/deps';
import { retryOnConflict } from '../../shared/retry-on-conflict';
import { runKeyCommand } from '../key-stream';
import { decideRecordBudgetThreshold } from './record-budget-threshold';

/** RecordBudgetThresholdRequest, checked at the edge (not strict: a newer policy may send more). */
const RecordBudgetThresholdBody = z.object({
  keyId: z.string().min(1),
  thresholdPercent: z.number().int().min(1).max(100),
  periodStart: z.iso.datetime({ offset: true }),
  spentUsd: z.number().nonnegative(),
  maxUsd: z.number().positive(),
});

const POLICY = { actor: 'policy' };

/**
 * `recorded` is false when the crossing was already recorded, or is ignored (stale period, revoked key, no such
 * threshold).
 */
export async function recordBudgetThreshold(
  deps: Deps,
  payload: unknown,
): Promise<{ keyId: string; recorded: boolean }> {
  const request = parseOrThrow(RecordBudgetThresholdBody, payload);
  const events = await retryOnConflict(() =>
    runKeyCommand(deps, request.keyId, POLICY, (state, now) =>
      decideRecordBudgetThreshold({ type: 'RecordBudgetThreshold', request, now }, state),
    ),
  );
  return { keyId: request.keyId, recorded: events.some((e) => e.type === 'KeyBudgetThresholdReached') };
}
