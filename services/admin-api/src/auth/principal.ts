import { createHash, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  DomainError,
  ErrorCodes,
  hashAdminToken,
  isWellFormedAdminToken,
  type AccessDeniedReason,
  type AdminRole,
} from '@sluice/contracts';
import type { Database } from '@sluice/db';

/** Who is calling: recorded as the actor of every event the call causes. */
export interface Principal {
  actor: string;
  role: AdminRole;
}

export type Resolution =
  | { ok: true; principal: Principal }
  | { ok: false; actor: string; reason: AccessDeniedReason; message: string };

export const ENV_OWNER = 'env-owner';
const digest = (value: string) => createHash('sha256').update(value).digest();
const refused = (reason: AccessDeniedReason, message: string, actor = 'anonymous'): Resolution => ({
  ok: false,
  actor,
  reason,
  message,
});

/**
 * Resolves a bearer token: the bootstrap owner from SLUICE_ADMIN_TOKEN (compared as fixed-length
 * digests in constant time), else a token from admin_tokens_view by its SHA-256. No cache: the
 * lookup is one indexed read, and a revoke is refused on the very next call, on every replica.
 */
export class PrincipalResolver {
  readonly #envOwner: Buffer | null;

  constructor(
    private readonly db: Kysely<Database>,
    envOwnerToken: string | undefined,
  ) {
    this.#envOwner = envOwnerToken ? digest(envOwnerToken) : null;
  }

  async resolve(authorization: string | undefined): Promise<Resolution> {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (!token) return refused('missing_token', 'an admin token is required (Authorization: Bearer <token>)');
    if (this.#envOwner && timingSafeEqual(digest(token), this.#envOwner))
      return { ok: true, principal: { actor: ENV_OWNER, role: 'owner' } };
    // A typo or a guess fails the checksum here, before any I/O.
    if (!isWellFormedAdminToken(token)) return refused('invalid_token', 'the admin token is not valid');
    const row = await this.db
      .selectFrom('admin_tokens_view')
      .select(['id', 'role', 'revoked_at'])
      .where('token_hash', '=', hashAdminToken(token))
      .executeTakeFirst()
      .catch(() => {
        throw new DomainError(ErrorCodes.unavailable, 'admin tokens cannot be checked right now; retry');
      });
    if (!row) return refused('invalid_token', 'the admin token is not valid');
    const actor = `admin-token:${row.id}`;
    if (row.revoked_at) return refused('revoked_token', 'the admin token is revoked', actor);
    return { ok: true, principal: { actor, role: row.role as AdminRole } };
  }
}
