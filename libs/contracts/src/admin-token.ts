import { createHash } from 'node:crypto';
import { generateVirtualKey, isWellFormedVirtualKey, KEY_PREFIX } from './virtual-key';

/**
 * Admin token format: `sk-sluice-admin-` + the same 256-bit base62 body and checksum as a virtual
 * key, so a typo is refused before any lookup and a scanner can tell the two kinds apart.
 */
export const ADMIN_TOKEN_PREFIX = 'sk-sluice-admin-';

export function generateAdminToken(): string {
  return ADMIN_TOKEN_PREFIX + generateVirtualKey().slice(KEY_PREFIX.length);
}

export function isWellFormedAdminToken(token: string): boolean {
  return (
    token.startsWith(ADMIN_TOKEN_PREFIX) && isWellFormedVirtualKey(KEY_PREFIX + token.slice(ADMIN_TOKEN_PREFIX.length))
  );
}

/** 256 bits of entropy: a plain SHA-256 is a safe lookup hash. */
export const hashAdminToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export const adminTokenHint = (token: string): string =>
  `${token.slice(0, ADMIN_TOKEN_PREFIX.length + 4)}…${token.slice(-4)}`;

/** An admin token as the admin API lists it (never the token itself). */
export interface AdminTokenView {
  id: string;
  name: string;
  role: 'owner' | 'operator' | 'auditor';
  tokenHint: string;
  createdAt: string;
  revokedAt: string | null;
}

/** Why an admin call was refused, as recorded in `AdminAccessDenied`. */
export const ACCESS_DENIED_REASONS = [
  'missing_token',
  'invalid_token',
  'revoked_token',
  'role_not_allowed',
  'field_not_allowed',
] as const;
export type AccessDeniedReason = (typeof ACCESS_DENIED_REASONS)[number];

/** The stream every `AdminAccessDenied` goes to (appended with expectedVersion 'any'). */
export const ACCESS_DENIED_STREAM = 'audit-admin-access';
