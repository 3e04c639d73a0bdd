import { DomainError, ErrorCodes } from '@sluice/contracts';

export type Granularity = 'hour' | 'day';
export interface UsageRange {
  from: Date;
  to: Date;
  granularity: Granularity;
}

export const DEFAULT_RANGE_MS = 7 * 24 * 3600_000;
export const MAX_BUCKETS = 1000;
const STEP_MS: Record<Granularity, number> = { hour: 3600_000, day: 24 * 3600_000 };

/**
 * The range a query asked for: `to` defaults to now, `from` to 7 days before `to`; from < to and a bounded bucket
 * count.
 */
export function resolveRange(q: { from?: Date; to?: Date; granularity: Granularity }, now: Date): UsageRange {
  const to = q.to ?? now;
  const from = q.from ?? new Date(to.getTime() - DEFAULT_RANGE_MS);
  if (from.getTime() >= to.getTime())
    throw new DomainError(ErrorCodes.validation, 'from must be before to', { param: 'from' });
  const range = { from, to, granularity: q.granularity };
  const count = bucketStarts(range).length;
  if (count > MAX_BUCKETS) {
    throw new DomainError(
      ErrorCodes.validation,
      `the range spans ${count} ${q.granularity} buckets; at most ${MAX_BUCKETS}`,
      { param: 'from' },
    );
  }
  return range;
}

/** UTC bucket starts covering [from, to): the first is `from` truncated to the hour or day. */
export function bucketStarts(range: UsageRange): Date[] {
  const step = STEP_MS[range.granularity];
  const first = Math.floor(range.from.getTime() / step) * step;
  const starts: Date[] = [];
  for (let t = first; t < range.to.getTime(); t += step) {
    starts.push(new Date(t));
    if (starts.length > MAX_BUCKETS) break;
  }
  return starts;
}
