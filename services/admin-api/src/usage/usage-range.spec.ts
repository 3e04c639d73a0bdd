import { DomainError } from '@sluice/contracts';
import { bucketStarts, resolveRange } from './usage-range';

const at = (iso: string) => new Date(iso);

describe('usage ranges', () => {
  it('defaults to the 7 days before now', () => {
    const range = resolveRange({ granularity: 'day' }, at('2026-11-24T13:30:00Z'));
    expect(range.from.toISOString()).toBe('2026-11-17T13:30:00.000Z');
    expect(range.to.toISOString()).toBe('2026-11-24T13:30:00.000Z');
    expect(bucketStarts(range).map((d) => d.toISOString())).toEqual([
      '2026-11-17T00:00:00.000Z',
      '2026-11-18T00:00:00.000Z',
      '2026-11-19T00:00:00.000Z',
      '2026-11-20T00:00:00.000Z',
      '2026-11-21T00:00:00.000Z',
      '2026-11-22T00:00:00.000Z',
      '2026-11-23T00:00:00.000Z',
      '2026-11-24T00:00:00.000Z',
    ]);
  });

  it('cuts hours in UTC whatever offset the bounds were written in', () => {
    const range = resolveRange(
      { from: at('2026-11-24T10:30:00+02:00'), to: at('2026-11-24T11:00:00+02:00'), granularity: 'hour' },
      new Date(),
    );
    expect(bucketStarts(range).map((d) => d.toISOString())).toEqual(['2026-11-24T08:00:00.000Z']);
  });

  it('refuses from after to, and too many buckets', () => {
    expect(() =>
      resolveRange(
        { from: at('2026-11-24T00:00:00Z'), to: at('2026-11-23T00:00:00Z'), granularity: 'day' },
        new Date(),
      ),
    ).toThrow(DomainError);
    expect(() =>
      resolveRange(
        { from: at('2026-01-01T00:00:00Z'), to: at('2026-11-23T00:00:00Z'), granularity: 'hour' },
        new Date(),
      ),
    ).toThrow(/at most 1000/);
  });
});
