import { lateUsageAction } from './late-usage';
import type { RecordedCall } from './recorded-calls';

const record = (over: Partial<RecordedCall>): RecordedCall => ({
  keyId: 'key_1',
  swept: false,
  costNanos: 1000,
  startedAt: 0,
  counted: false,
  correction: null,
  ...over,
});
const report = { swept: false };
const sweep = { swept: true };

describe('a late usage message, given metering’s record of its call', () => {
  it('is counted when metering has no record, or only its own (stored after the restart summed, from this very message)', () => {
    expect(lateUsageAction(report, undefined)).toBe('settle');
    expect(lateUsageAction(sweep, undefined)).toBe('settle');
    expect(lateUsageAction(report, record({ counted: false }))).toBe('settle');
    expect(lateUsageAction(sweep, record({ swept: true, counted: false }))).toBe('settle');
  });

  it('is skipped when the record is counted already: summed by the restart, or stored by an earlier copy', () => {
    expect(lateUsageAction(report, record({ counted: true }))).toBe('skip');
    expect(lateUsageAction(sweep, record({ swept: true, counted: true }))).toBe('skip');
  });

  it('charges nothing for a sweep of a call whose real report metering recorded first', () => {
    expect(lateUsageAction(sweep, record({ swept: false, counted: false }))).toBe('skip');
  });

  it('corrects a swept call with its real report, once: not again when the correction is counted already', () => {
    expect(lateUsageAction(report, record({ swept: true, counted: true }))).toBe('correct');
    expect(lateUsageAction(report, record({ swept: true, counted: true, correction: { counted: false } }))).toBe(
      'correct',
    );
    expect(lateUsageAction(report, record({ swept: true, counted: true, correction: { counted: true } }))).toBe('skip');
  });
});
