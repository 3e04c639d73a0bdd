import { failureKindOf } from './failure-kind';

const pgError = (code: string) => Object.assign(new Error('from postgres'), { code, severity: 'ERROR' });

describe('telling "not now" from "not this message"', () => {
  it('retries what says the database is unavailable or busy', () => {
    for (const err of [
      pgError('08006'),
      pgError('57P01'),
      pgError('57P03'),
      pgError('40001'),
      pgError('40P01'),
      pgError('53300'),
      pgError('57014'),
    ]) {
      expect([err.code, failureKindOf(err)]).toEqual([err.code, 'unavailable']);
    }
    expect(
      failureKindOf(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })),
    ).toBe('unavailable');
    expect(failureKindOf(new Error('Connection terminated unexpectedly'))).toBe('unavailable');
  });

  it('blames the content for a data exception, an integrity violation or a program limit', () => {
    // 22021: a NUL in text; 22P05: \u0000 in jsonb; 22003: a number out of range; 22007: not a time; 54000: an index
    // row too large.
    for (const code of ['22021', '22P05', '22P02', '22003', '22007', '23502', '54000'])
      expect([code, failureKindOf(pgError(code))]).toEqual([code, 'content']);
  });

  it('calls anything else "other"', () => {
    expect(failureKindOf(pgError('42P01'))).toBe('other');
    expect(failureKindOf(pgError('XX000'))).toBe('other');
    expect(failureKindOf(new TypeError('x is undefined'))).toBe('other');
  });
});
