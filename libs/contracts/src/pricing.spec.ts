import { CreateModelBody } from './admin';
import { BudgetSchema } from './limits';
import { decimalOfNanos, formatNanoUsd, isWholeNanos, nanosOfUsd, usdOfNanos } from './money';
import { costNanosOf, modelPrice, worstCaseNanosOf } from './pricing';

describe('pricing a call in nano-dollars', () => {
  const price = modelPrice({ inputUsdPerMTok: 2.5, outputUsdPerMTok: 10, cachedInputUsdPerMTok: 1.25 });

  it('holds the catalog price exactly', () => {
    expect(price).toEqual({
      inputNanosPerMTok: 2_500_000_000,
      outputNanosPerMTok: 10_000_000_000,
      cachedInputNanosPerMTok: 1_250_000_000,
    });
    expect(modelPrice({ inputUsdPerMTok: 0.15, outputUsdPerMTok: 0.6, cachedInputUsdPerMTok: null })).toEqual({
      inputNanosPerMTok: 150_000_000,
      outputNanosPerMTok: 600_000_000,
      cachedInputNanosPerMTok: null,
    });
  });

  it('charges input and output per million tokens', () => {
    expect(costNanosOf({ inputTokens: 1_000_000, cachedInputTokens: 0, outputTokens: 500_000 }, price)).toBe(
      7_500_000_000,
    );
  });

  it('charges cached input at the cached rate, or the input rate when the catalog has none', () => {
    expect(costNanosOf({ inputTokens: 1000, cachedInputTokens: 400, outputTokens: 0 }, price)).toBe(
      600 * 2500 + 400 * 1250,
    );
    expect(
      costNanosOf(
        { inputTokens: 1000, cachedInputTokens: 400, outputTokens: 0 },
        { ...price, cachedInputNanosPerMTok: null },
      ),
    ).toBe(2_500_000);
  });

  it('charges cache-write tokens (part of the input) at the catalog’s cache-write rate, or the input rate when it has none', () => {
    // Anthropic's Claude Sonnet: $3 input, $0.30 cache read, $3.75 cache write (5 minutes), $15 output.
    const sonnet = modelPrice({
      inputUsdPerMTok: 3,
      outputUsdPerMTok: 15,
      cachedInputUsdPerMTok: 0.3,
      cacheWriteUsdPerMTok: 3.75,
    });
    expect(sonnet.cacheWriteNanosPerMTok).toBe(3_750_000_000);
    // 100 plain + 2000 read + 500 written = 2600 input tokens, 40 output
    const tokens = { inputTokens: 2600, cachedInputTokens: 2000, cacheWriteInputTokens: 500, outputTokens: 40 };
    expect(costNanosOf(tokens, sonnet)).toBe(100 * 3000 + 2000 * 300 + 500 * 3750 + 40 * 15_000);
    expect(costNanosOf(tokens, { ...sonnet, cacheWriteNanosPerMTok: null })).toBe(
      600 * 3000 + 2000 * 300 + 40 * 15_000,
    );
    // never more written than the input left once the cached part is taken out
    expect(
      costNanosOf({ inputTokens: 10, cachedInputTokens: 4, cacheWriteInputTokens: 50, outputTokens: 0 }, sonnet),
    ).toBe(4 * 300 + 6 * 3750);
  });

  it('charges 1-hour cache writes at twice the input price, the other writes at the cache-write price', () => {
    const haiku = modelPrice({
      inputUsdPerMTok: 1,
      outputUsdPerMTok: 5,
      cachedInputUsdPerMTok: 0.1,
      cacheWriteUsdPerMTok: 1.25,
    });
    // The review's example: 100,000 tokens written for an hour, 10 plain, 100 output: Anthropic invoices 200,510,000.
    const hour = {
      inputTokens: 100_010,
      cachedInputTokens: 0,
      cacheWriteInputTokens: 100_000,
      cacheWrite1hInputTokens: 100_000,
      outputTokens: 100,
    };
    expect(costNanosOf(hour, haiku)).toBe(200_510_000);
    const mixed = {
      inputTokens: 1000,
      cachedInputTokens: 100,
      cacheWriteInputTokens: 600,
      cacheWrite1hInputTokens: 200,
      outputTokens: 0,
    };
    expect(costNanosOf(mixed, haiku)).toBe(300 * 1000 + 100 * 100 + 400 * 1250 + 200 * 2000);
    // never more written for an hour than written
    expect(costNanosOf({ ...mixed, cacheWrite1hInputTokens: 5000 }, haiku)).toBe(300 * 1000 + 100 * 100 + 600 * 2000);
  });

  it('reserves the worst case at the dearest input rate: every prompt token may be a 1-hour cache write', () => {
    const sonnet = modelPrice({
      inputUsdPerMTok: 3,
      outputUsdPerMTok: 15,
      cachedInputUsdPerMTok: 0.3,
      cacheWriteUsdPerMTok: 3.75,
    });
    expect(worstCaseNanosOf({ inputTokens: 1000, outputTokens: 100 }, sonnet)).toBe(1000 * 6000 + 100 * 15_000);
    // The review's example: the reservation for a prompt bound of 100,010 tokens covers them all written for an hour.
    const haiku = modelPrice({
      inputUsdPerMTok: 1,
      outputUsdPerMTok: 5,
      cachedInputUsdPerMTok: 0.1,
      cacheWriteUsdPerMTok: 1.25,
    });
    expect(worstCaseNanosOf({ inputTokens: 100_010, outputTokens: 100 }, haiku)).toBeGreaterThanOrEqual(200_510_000);
    expect(worstCaseNanosOf({ inputTokens: 1000, outputTokens: 100 }, price)).toBe(1000 * 2500 + 100 * 10_000);
  });

  it('never charges more cached tokens than input tokens', () => {
    expect(costNanosOf({ inputTokens: 10, cachedInputTokens: 50, outputTokens: 0 }, price)).toBe(12_500);
  });

  it('rounds a fraction of a nano-dollar up, never down: the invoice is never undercut', () => {
    const cheap = modelPrice({ inputUsdPerMTok: 0.000000001, outputUsdPerMTok: 0.15, cachedInputUsdPerMTok: null });
    expect(costNanosOf({ inputTokens: 1, cachedInputTokens: 0, outputTokens: 0 }, cheap)).toBe(1);
    expect(costNanosOf({ inputTokens: 0, cachedInputTokens: 0, outputTokens: 7 }, cheap)).toBe(1050); // 7 × 150 exactly
    expect(costNanosOf({ inputTokens: 3, cachedInputTokens: 0, outputTokens: 7 }, cheap)).toBe(1051);
    expect(costNanosOf({ inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 }, cheap)).toBe(0);
  });

  it('stays exact where the product passes 2^53, and caps an absurd report at the largest safe integer', () => {
    const dear = modelPrice({ inputUsdPerMTok: 100_000, outputUsdPerMTok: 100_000, cachedInputUsdPerMTok: null });
    // 3,000,000,001 tokens × 1e14 nano per million: a product far past 2^53, divided exactly.
    expect(
      costNanosOf(
        { inputTokens: 3_000_000_001, cachedInputTokens: 0, outputTokens: 0 },
        { ...dear, inputNanosPerMTok: 1 },
      ),
    ).toBe(3001);
    expect(costNanosOf({ inputTokens: 90_000, cachedInputTokens: 0, outputTokens: 1 }, dear)).toBe(9_000_100_000_000);
    expect(costNanosOf({ inputTokens: 1e12, cachedInputTokens: 0, outputTokens: 0 }, dear)).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it('adds up exactly where float dollars drift: three calls of $0.000005 are $0.000015', () => {
    const mini = modelPrice({ inputUsdPerMTok: 1, outputUsdPerMTok: 2, cachedInputUsdPerMTok: null });
    const call = costNanosOf({ inputTokens: 1, cachedInputTokens: 0, outputTokens: 2 }, mini);
    expect(call).toBe(5000);
    expect(JSON.stringify({ spentUsd: usdOfNanos(call + call + call) })).toBe('{"spentUsd":0.000015}');
    expect(5 / 1e6 + 5 / 1e6 + 5 / 1e6).toBe(0.000015000000000000002); // what float dollars gave
  });
});

describe('amounts as people read them', () => {
  it('formats a plain decimal, never an exponent, from the integer', () => {
    expect(formatNanoUsd(100)).toBe('0.0000001');
    expect(formatNanoUsd(7_500_000_000)).toBe('7.5');
    expect(formatNanoUsd(12_000_000_000)).toBe('12');
    expect(formatNanoUsd(86_400)).toBe('0.0000864');
    expect(formatNanoUsd(0)).toBe('0');
    expect(formatNanoUsd(-1)).toBe('-0.000000001');
  });

  it('writes a numeric literal with nine decimals for Postgres', () => {
    expect(decimalOfNanos(86_400)).toBe('0.000086400');
    expect(decimalOfNanos(12n * 1_000_000_000n)).toBe('12.000000000');
    expect(decimalOfNanos(-5)).toBe('-0.000000005');
  });

  it('gives JSON numbers that print the exact decimal below a million dollars', () => {
    for (const nanos of [1, 86_400, 123_456_789, 999_999_999_999_999, 300_135_000]) {
      expect(String(usdOfNanos(nanos))).toBe(Number(formatNanoUsd(nanos)).toString());
      expect(Number(JSON.stringify(usdOfNanos(nanos)))).toBe(Number(formatNanoUsd(nanos)));
    }
    expect(JSON.stringify(usdOfNanos(300_135_000))).toBe('0.300135');
  });
});

describe('reading USD amounts into nano-dollars', () => {
  it('reads numbers and numeric text exactly up to nine decimals', () => {
    expect(nanosOfUsd(0.15)).toBe(150_000_000);
    expect(nanosOfUsd(1e-9)).toBe(1);
    expect(nanosOfUsd(1_000_000)).toBe(1e15);
    expect(nanosOfUsd('0.0000864000')).toBe(86_400);
    expect(nanosOfUsd('12')).toBe(12_000_000_000);
    expect(nanosOfUsd('-0.5')).toBe(-500_000_000);
  });

  it('rounds a tenth decimal up (an amount stored before nano-dollars)', () => {
    expect(nanosOfUsd('0.0000863999')).toBe(86_400);
    expect(nanosOfUsd(1e-12)).toBe(1);
  });

  it('tells which amounts an admin may set: at most nine decimals', () => {
    expect(isWholeNanos(2.5)).toBe(true);
    expect(isWholeNanos(0.123456789)).toBe(true);
    expect(isWholeNanos(0.1234567891)).toBe(false);
    expect(isWholeNanos(1111.111111111111)).toBe(false);
    expect(isWholeNanos(1e-10)).toBe(false);
  });
});

describe('amounts the admin API accepts', () => {
  const model = (price: number) =>
    CreateModelBody.safeParse({
      name: 'm',
      providerId: 'p',
      upstreamModel: 'u',
      inputUsdPerMTok: price,
      outputUsdPerMTok: 1,
    });

  it('takes prices with up to nine decimals, up to $100,000 per million tokens, and refuses finer or larger ones', () => {
    expect(model(0.000000001).success).toBe(true);
    expect(model(100_000).success).toBe(true);
    expect(model(1111.111111111111).success).toBe(false);
    expect(model(100_000.5).success).toBe(false);
  });

  it('takes a cache-write price like the others, and a * only at the end of a catalog name and its upstream model', () => {
    const entry = {
      name: 'claude-haiku-4-5*',
      providerId: 'p',
      upstreamModel: 'claude-haiku-4-5*',
      inputUsdPerMTok: 1,
      outputUsdPerMTok: 5,
      cacheWriteUsdPerMTok: 1.25,
    };
    expect(CreateModelBody.safeParse(entry).success).toBe(true);
    expect(CreateModelBody.safeParse({ ...entry, cacheWriteUsdPerMTok: 1111.111111111111 }).success).toBe(false);
    expect(CreateModelBody.safeParse({ ...entry, name: 'claude-*-4-5' }).success).toBe(false);
    expect(CreateModelBody.safeParse({ ...entry, name: 'claude**' }).success).toBe(false);
    expect(CreateModelBody.safeParse({ ...entry, upstreamModel: '*-haiku' }).success).toBe(false);
  });

  it('takes budgets up to $1,000,000 with up to nine decimals, so every sum stays below 2^53 nano-dollars', () => {
    expect(BudgetSchema.safeParse({ maxUsd: 1_000_000 }).success).toBe(true);
    expect(BudgetSchema.safeParse({ maxUsd: 0.000000001 }).success).toBe(true);
    expect(BudgetSchema.safeParse({ maxUsd: 1_000_001 }).success).toBe(false);
    expect(BudgetSchema.safeParse({ maxUsd: 0.0000000001 }).success).toBe(false);
  });
});
