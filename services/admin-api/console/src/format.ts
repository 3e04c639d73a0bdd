import type { Money } from './api/types';

/**
 * What a person reads. Money arrives as a JSON number or an exact decimal string; both become
 * the same text, without float noise (0.00008639999999999999 reads $0.0000864), at least cents,
 * at most 10 decimals (the precision the ledger stores).
 */
export function usd(value: Money | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? value.toFixed(10) : String(value)) : value.trim();
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return text;
  const [, sign, whole, fraction = ''] = match;
  let decimals = fraction.slice(0, 10).replace(/0+$/, '');
  if (decimals.length < 2) decimals = decimals.padEnd(2, '0');
  const negative = sign === '-' && /[1-9]/.test(whole + decimals);
  return `${negative ? '-' : ''}$${groupThousands(whole.replace(/^0+(?=\d)/, ''))}.${decimals}`;
}

/** A ratio for a bar (not an amount anyone reads): numbers are fine here. */
export function ratio(part: Money | null | undefined, whole: Money | null | undefined): number {
  const p = Number(part ?? 0);
  const w = Number(whole ?? 0);
  if (!Number.isFinite(p) || !Number.isFinite(w) || w <= 0) return 0;
  return Math.max(0, p / w);
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : groupThousands(String(Math.round(n)));
}

export function percent(part: number, whole: number): string {
  if (!whole) return '0%';
  const p = (part / whole) * 100;
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)}%`;
}

/** `2026-11-24 15:02 UTC`: admins compare times across machines, so one zone for everyone. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `in 3 d`, `5 min ago`: relative to `now`, passed in. */
export function relative(iso: string | null | undefined, now: number): string {
  if (!iso) return 'never';
  const ms = Date.parse(iso) - now;
  const abs = Math.abs(ms);
  const unit =
    abs < 60_000
      ? [Math.round(abs / 1000), 's']
      : abs < 3_600_000
        ? [Math.round(abs / 60_000), 'min']
        : abs < 86_400_000
          ? [Math.round(abs / 3_600_000), 'h']
          : [Math.round(abs / 86_400_000), 'd'];
  const text = `${unit[0]} ${unit[1]}`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

export function duration(ms: number): string {
  if (ms <= 0) return 'now';
  if (ms < 1000) return `${Math.ceil(ms)} ms`;
  if (ms < 120_000) return `${Math.ceil(ms / 1000)} s`;
  return `${Math.ceil(ms / 60_000)} min`;
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
