import { costOf, formatUsd } from './pricing';

describe('pricing a call', () => {
  const price = { inputUsdPerMTok: 2.5, outputUsdPerMTok: 10, cachedInputUsdPerMTok: 1.25 };

  it('charges input and output per million tokens', () => {
    expect(costOf({ inputTokens: 1_000_000, cachedInputTokens: 0, outputTokens: 500_000 }, price)).toBeCloseTo(7.5, 10);
  });

  it('charges cached input at the cached rate, or the input rate when the catalog has none', () => {
    expect(costOf({ inputTokens: 1000, cachedInputTokens: 400, outputTokens: 0 }, price)).toBeCloseTo((600 * 2.5 + 400 * 1.25) / 1e6, 12);
    expect(costOf({ inputTokens: 1000, cachedInputTokens: 400, outputTokens: 0 }, { ...price, cachedInputUsdPerMTok: null })).toBeCloseTo(0.0025, 12);
  });

  it('never charges more cached tokens than input tokens', () => {
    expect(costOf({ inputTokens: 10, cachedInputTokens: 50, outputTokens: 0 }, price)).toBeCloseTo((10 * 1.25) / 1e6, 12);
  });
});

describe('formatting a cost for the x-sluice-cost-usd header', () => {
  it('writes a plain decimal with the stored precision, never an exponent', () => {
    expect(formatUsd(0.0000001)).toBe('0.0000001');
    expect(formatUsd(7.5)).toBe('7.5');
    expect(formatUsd(12)).toBe('12');
  });

  it('writes zero as 0', () => {
    expect(formatUsd(0)).toBe('0');
  });
});
