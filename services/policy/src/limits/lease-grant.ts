import type { LeaseGrant, ReservationTicket } from '@sluice/contracts';
import type { KeyPolicy } from '../keys/key-table';
import type { BudgetLedger } from './budget-ledger';
import { tokenKindsOf, type KeyCounters } from './key-counters';
import type { HeldLease } from './leases';
import { leaseSize, type LeaseSettings } from './lease-size';

/**
 * The most leases one key holds at once (across its gateways and shapes): each takes a 16th of what
 * is left, so few can be useful at once, and the cap bounds what one key's many shapes (client
 * addresses, models) cost policy on each call it decides.
 */
export const MAX_LEASES_PER_KEY = 64;

/** A lease is named after the call that brought it, so that call's cancel can end it too. */
export const leaseIdOf = (callId: string): string => `${callId}.lease`;

/** A key that expires within a lease's life gets none: nothing may be admitted past its expiry. */
export const leasable = (key: KeyPolicy, settings: LeaseSettings, now: number): boolean =>
  key.expiresAt === null || key.expiresAt > now + settings.validMs;

/** A lease for a key without limits: nothing to count, only its rules to apply without asking. */
export function rulesLease(settings: LeaseSettings, leaseId: string): LeaseGrant {
  return {
    leaseId,
    validMs: settings.validMs,
    requests: settings.maxRequests,
    slots: null,
    tokens: null,
    tokenKinds: tokenKindsOf(null),
    nanos: null,
    counted: false,
    readings: { requests: null, tokens: null, budgetRemainingNanos: null },
  };
}

/**
 * The lease a call just admitted may bring — what policy holds for it and what the gateway is told —
 * or null when the key is too near a limit (lease-size.ts). Nothing is counted here: the caller
 * holds it (holdLease). The readings are taken before it is counted, so its calls show the key as a
 * single gateway's calls would.
 */
export function cutLease(
  key: KeyPolicy,
  c: KeyCounters,
  ledger: BudgetLedger | null,
  call: ReservationTicket,
  budgetRemainingNanos: number | null,
  settings: LeaseSettings,
  now: number,
): { held: HeldLease; grant: LeaseGrant } | null {
  const limits = key.rateLimits;
  const size = leaseSize(limits, c, ledger, call, settings, now);
  if (!size) return null;
  const held: HeldLease = {
    ...size,
    leaseId: leaseIdOf(call.callId),
    keyId: key.keyId,
    grantedAt: now,
    expiresAt: now + settings.validMs,
    settled: 0,
    tokensHeld: size.tokens ?? 0,
    nanosHeld: size.nanos ?? 0,
    running: new Map(),
    runningTokens: 0,
    runningNanos: 0,
  };
  const grant: LeaseGrant = {
    leaseId: held.leaseId,
    validMs: settings.validMs,
    requests: size.requests,
    slots: size.slots,
    tokens: size.tokens,
    tokenKinds: tokenKindsOf(limits),
    nanos: size.nanos,
    counted: true,
    readings: {
      requests: c.tightestRequests(limits, now),
      tokens: limits?.tokensPerMinute ? c.reading('tokensPerMinute', limits.tokensPerMinute, now) : null,
      budgetRemainingNanos,
    },
  };
  return { held, grant };
}
