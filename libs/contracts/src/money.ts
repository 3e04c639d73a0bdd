/**
 * Money is counted in integer nano-dollars (1e-9 USD), as safe JavaScript integers, from the
 * catalog's prices through every reservation, charge and record to the read models. Sums of
 * integers are exact, so a budget, the usage log and the client's cost header agree to the last
 * digit; amounts become decimals only where a person reads them.
 */
export const NANOS_PER_USD = 1_000_000_000;
const NANO_DIGITS = 9;

/** The largest budget (USD) and catalog price (USD per million tokens): their sums stay far below 2^53 nano-dollars. */
export const MAX_BUDGET_USD = 1_000_000;
export const MAX_PRICE_USD_PER_MTOK = 100_000;

/**
 * The amount as a plain decimal string ("0.0000864", "12", "0"), exact, without exponent or
 * trailing zeros: for headers, messages and exports.
 */
export function formatNanoUsd(nanos: number): string {
  if (nanos < 0) return `-${formatNanoUsd(-nanos)}`;
  const digits = String(nanos).padStart(NANO_DIGITS + 1, '0');
  const whole = digits.slice(0, -NANO_DIGITS);
  const fraction = digits.slice(-NANO_DIGITS).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

/**
 * The amount as a JSON number: `nanos / 1e9` is the double nearest to the decimal, and a double
 * prints as the shortest decimal that reads back as itself, so below 10^15 nano-dollars (15
 * significant digits, $1,000,000) it prints exactly that decimal ("0.0000864", "8.64e-7").
 */
export const usdOfNanos = (nanos: number): number => nanos / NANOS_PER_USD;

/**
 * A decimal amount in USD (a number as an admin wrote it, or a Postgres numeric's text) in
 * nano-dollars: exact when it has at most nine decimals, otherwise rounded UP to the next
 * nano-dollar (money is never rounded below what is owed). Capped at 2^53 - 1.
 */
export function nanosOfUsd(usd: number | string): number {
  const parsed = parseDecimal(usd);
  if (!parsed) return 0;
  const { negative, nanos, exact } = parsed;
  const rounded = !exact && !negative ? nanos + 1n : nanos;
  const capped = rounded > MAX_NANOS ? MAX_NANOS : rounded;
  return Number(negative ? -capped : capped);
}

/** Whether a USD amount has at most nine decimals, so it converts to nano-dollars exactly. */
export function isWholeNanos(usd: number): boolean {
  return parseDecimal(usd)?.exact === true;
}

/** The amount as a Postgres numeric literal with nine decimals ("0.000086400"). */
export function decimalOfNanos(nanos: number | bigint): string {
  const n = BigInt(nanos);
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(NANO_DIGITS + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -NANO_DIGITS)}.${digits.slice(-NANO_DIGITS)}`;
}

const MAX_NANOS = BigInt(Number.MAX_SAFE_INTEGER);
const DECIMAL = /^(-?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/**
 * Exact decimal reading of a number's shortest form or a numeric's text: whole nano-dollars, and whether nothing was
 * cut.
 */
function parseDecimal(value: number | string): { negative: boolean; nanos: bigint; exact: boolean } | null {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  const match = DECIMAL.exec(String(value).trim());
  if (!match || (match[2] === '' && !match[3])) return null;
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  // The digits as one integer, and where the decimal point sits once nine decimals are kept.
  const digits = `${whole}${fraction}`.replace(/^0+(?=\d)/, '') || '0';
  const shift = Number(exponent) - fraction.length + NANO_DIGITS;
  if (shift >= 0) return { negative: sign === '-', nanos: BigInt(digits) * 10n ** BigInt(shift), exact: true };
  const cut = Math.min(-shift, digits.length);
  const kept = digits.slice(0, digits.length - cut) || '0';
  return { negative: sign === '-', nanos: BigInt(kept), exact: /^0*$/.test(digits.slice(digits.length - cut)) };
}

/** A Postgres numeric amount in USD (text) as a JSON number printing its exact decimal (see usdOfNanos). */
export const usdOfDecimal = (decimal: string | number): number => usdOfNanos(nanosOfUsd(decimal));
