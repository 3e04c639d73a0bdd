import { isDatabaseUnavailable } from '@sluice/db';

/**
 * Why recording failed. `unavailable`: not now (Postgres down or overloaded) — retry the same
 * messages later, never give up on them. `content`: Postgres refused what the messages hold
 * (SQLSTATE class 22 data exception, 23 integrity constraint, 54 program limit such as an index row
 * too large) — find the message and keep it aside. `other`: anything else, retried a bounded
 * number of times.
 */
export type FailureKind = 'unavailable' | 'content' | 'other';

// 40: serialization failure or deadlock; 53: too many connections, disk full; 57014: statement timeout.
const NOT_NOW = /^(40|53)...$|^57014$/;
const CONTENT = /^(22|23|54)...$/;

export function failureKindOf(err: unknown): FailureKind {
  if (isDatabaseUnavailable(err)) return 'unavailable';
  const code = sqlstateOf(err);
  if (code && NOT_NOW.test(code)) return 'unavailable';
  if (code && CONTENT.test(code)) return 'content';
  return 'other';
}

/** The SQLSTATE of a Postgres error; undefined for anything else (a socket error has a code too). */
export function sqlstateOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
