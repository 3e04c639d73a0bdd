import { SlidingWindow } from './sliding-window';

describe('a sliding window of 60 s in 1 s slices', () => {
  const T = 1_000_000_000_000; // a whole second
  const window = () => new SlidingWindow(60_000, 60);

  it('holds what was added in the last 60 s and lets each slice go as it leaves', () => {
    const w = window();
    w.add(T, 2);
    w.add(T + 30_500, 3);
    expect(w.used(T + 59_999)).toBe(5);
    expect(w.used(T + 60_000)).toBe(3);
    expect(w.used(T + 91_000)).toBe(0);
  });

  it('says when enough will have left for a given amount, and when it will be empty', () => {
    const w = window();
    w.add(T, 2);
    w.add(T + 30_500, 3);
    expect(w.msUntilFreed(T + 40_000, 1)).toBe(20_000); // the first slice leaves at T + 60 s
    expect(w.msUntilFreed(T + 40_000, 3)).toBe(50_000); // the second at T + 90 s
    expect(w.msUntilEmpty(T + 40_000)).toBe(50_000);
    expect(w.msUntilEmpty(T + 95_000)).toBe(0);
  });

  it('takes late amounts into their own slice, and ignores those already outside the window', () => {
    const w = window();
    w.add(T + 10_000, 1);
    w.add(T + 5_000, 1); // settled late, still inside
    w.add(T - 60_000, 7); // long gone
    expect(w.used(T + 10_000)).toBe(2);
    expect(w.used(T + 65_500)).toBe(1);
  });

  it('never counts below zero when more is taken out of a slice than it holds', () => {
    const w = window();
    w.add(T, 5);
    w.add(T, -8);
    w.add(T + 1000, 4);
    expect(w.used(T + 1000)).toBe(4);
  });

  it('ignores an amount or an instant that is not a finite number: the count stays a number', () => {
    const w = window();
    w.add(T, 5);
    w.add(Number.NaN, 100);
    w.add(T, Number.NaN);
    w.add(Number.POSITIVE_INFINITY, 1);
    w.add(T, Number.NEGATIVE_INFINITY);
    expect(w.used(T + 1000)).toBe(5);
    w.add(T + 2000, 1);
    expect(w.used(T + 2000)).toBe(6);
  });
});
