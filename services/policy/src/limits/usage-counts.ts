import { costNanosOfUsage, type UsageMessage } from '@sluice/contracts';
import type { KeyPolicy } from '../keys/key-table';
import { countedTokens, tokenKindsOf } from './key-counters';

/**
 * What a call's usage counts: when it started by its report, when it ended (never after now), its
 * tokens of the kinds the key's limits count, its cost.
 */
export function usageCounts(usage: UsageMessage, limits: KeyPolicy['rateLimits'], now: number) {
  const reported = Date.parse(usage.startedAt);
  return {
    reported,
    endedAt: Math.min(now, reported + usage.latencyMs),
    tokens: countedTokens(tokenKindsOf(limits), usage.inputTokens, usage.outputTokens),
    costNanos: costNanosOfUsage(usage),
  };
}
