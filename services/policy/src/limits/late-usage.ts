import type { UsageMessage } from '@sluice/contracts';
import type { RecordedCall } from './recorded-calls';

/** What a usage message that was looked up in metering's records does to the counters. */
export type LateUsageAction = 'settle' | 'correct' | 'skip';

/**
 * A message this process knows nothing of (flagged, old, or ending before the restart's cut) and
 * metering's record of its call: counted already (skip), counted now (settle), or the real report
 * of a swept call, which moves the sweep's charge to the real cost (correct).
 */
export function lateUsageAction(usage: Pick<UsageMessage, 'swept'>, record: RecordedCall | undefined): LateUsageAction {
  if (!record) return 'settle';
  const sweep = usage.swept === true;
  // Metering recorded the real report first, so it came first in the stream: a sweep after it charges nothing.
  if (!record.swept) return sweep || record.counted ? 'skip' : 'settle';
  if (sweep) return record.counted ? 'skip' : 'settle';
  // The swept record came first in the stream, so its charge is counted; the report's may not be.
  return record.correction?.counted ? 'skip' : 'correct';
}
