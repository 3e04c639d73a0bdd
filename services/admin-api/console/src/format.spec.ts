import { count, duration, percent, ratio, relative, usd, when } from './format';

describe('what the console shows a person', () => {
  it('renders money from JSON numbers without float noise', () => {
    expect(usd(0.00008639999999999999)).toBe('$0.0000864');
    expect(usd(0.00030135000000000003)).toBe('$0.00030135');
    expect(usd(25)).toBe('$25.00');
    expect(usd(3.4)).toBe('$3.40');
    expect(usd(1234567.5)).toBe('$1,234,567.50');
    expect(usd(0)).toBe('$0.00');
  });

  it('renders exact decimal strings the same way, digit for digit', () => {
    expect(usd('0.0000864000')).toBe('$0.0000864');
    expect(usd('21.53')).toBe('$21.53');
    expect(usd('1000000.0000000001')).toBe('$1,000,000.0000000001');
    expect(usd('-0.0000000000')).toBe('$0.00');
    expect(usd('-2.5')).toBe('-$2.50');
    expect(usd(null)).toBe('—');
    expect(usd('n/a')).toBe('n/a');
  });

  it('measures bars from either form and never divides by zero', () => {
    expect(ratio('3.41', 25)).toBeCloseTo(0.1364);
    expect(ratio(30, '25')).toBeCloseTo(1.2);
    expect(ratio(1, 0)).toBe(0);
    expect(ratio(undefined, 10)).toBe(0);
  });

  it('formats counts, rates, instants and durations', () => {
    expect(count(1234567)).toBe('1,234,567');
    expect([percent(1, 3), percent(1, 200), percent(0, 0)]).toEqual(['33%', '0.5%', '0%']);
    expect(when('2026-11-24T15:02:11.482Z')).toBe('2026-11-24 15:02 UTC');
    const now = Date.parse('2026-11-24T12:00:00Z');
    expect([relative('2026-11-27T12:00:00Z', now), relative('2026-11-24T11:55:00Z', now), relative(null, now)]).toEqual(
      ['in 3 d', '5 min ago', 'never'],
    );
    expect([duration(0), duration(450), duration(30_000), duration(600_000)]).toEqual([
      'now',
      '450 ms',
      '30 s',
      '10 min',
    ]);
  });
});
