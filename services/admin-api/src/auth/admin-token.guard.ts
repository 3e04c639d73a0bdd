import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Kysely } from 'kysely';
import { DomainError, ErrorCodes, Subjects, type AccessDeniedReason, type AdminRole } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { request, type NatsConnection } from '@sluice/messaging';
import { actorOf, type AdminRequest } from '../shared/actor';
import { logger } from '../shared/logger';
import { DB, NATS } from '../shared/tokens';
import { decideAccess, rolesFor } from './access-policy';
import { PrincipalResolver, type Resolution } from './principal';
import { FIELD_RULES_KEY, ROLES_KEY, type FieldRules } from './roles';

/**
 * Every admin route: resolves the bearer token to an identity and a role, then checks the
 * route's `@Roles` and `@RestrictFields`. A refused call reaches no handler, so it appends no
 * change; it is reported to key-registry, which records it as `AdminAccessDenied`.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  readonly #principals: PrincipalResolver;

  constructor(
    @Inject(DB) db: Kysely<Database>,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {
    this.#principals = new PrincipalResolver(db, process.env.SLUICE_ADMIN_TOKEN);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AdminRequest>();
    // A request with a body had its token resolved before the body was read (token-before-body.ts).
    const resolved = req.authentication ?? (await this.authenticate(req));
    if (!resolved.ok) throw new DomainError(ErrorCodes.unauthorized, resolved.message);
    const { actor, role } = resolved.principal;
    const targets = [context.getHandler(), context.getClass()];
    const decision = decideAccess({
      role,
      method: req.method,
      path: pathOf(req),
      allowed: rolesFor(req.method, this.reflector.getAllAndOverride<AdminRole[] | undefined>(ROLES_KEY, targets)),
      fieldRules: this.reflector.getAllAndOverride<FieldRules | undefined>(FIELD_RULES_KEY, targets),
      body: req.body,
    });
    if (!decision.allow) {
      await this.#recordDenial(req, actor, decision.reason);
      throw new DomainError(
        ErrorCodes.forbidden,
        decision.message,
        decision.param ? { param: decision.param } : undefined,
      );
    }
    req.actor = actor;
    req.role = role;
    return true;
  }

  /** Who the bearer token names; a refusal is recorded. */
  async authenticate(req: AdminRequest): Promise<Resolution> {
    const resolved = await this.#principals.resolve(req.headers.authorization);
    if (!resolved.ok) await this.#recordDenial(req, resolved.actor, resolved.reason);
    return resolved;
  }

  /** Best effort: if key-registry cannot be reached the call is still refused, and the gap is logged. */
  async #recordDenial(req: AdminRequest, actor: string, reason: AccessDeniedReason): Promise<void> {
    const attempt = { actor, method: req.method, path: pathOf(req), reason, clientIp: req.ip ?? 'unknown' };
    try {
      await request(
        this.nc,
        Subjects.rpc.keyRegistry('record-access-denied'),
        { attempt, actor: { ...actorOf(req), actor } },
        { timeoutMs: 1000 },
      );
    } catch (err) {
      logger.warn({ ...attempt, err: (err as Error).message }, 'a denied admin call could not be recorded');
    }
  }
}

/** The path without its query string (which could carry anything), bounded. */
const pathOf = (req: AdminRequest) => req.url.split('?')[0].slice(0, 512);
