import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { DomainError, ErrorCodes } from '@sluice/contracts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Bearer admin token from SLUICE_ADMIN_TOKEN (the owner). Compared as fixed-length digests in
 * constant time, so neither the length nor a prefix of the token leaks through timing.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  readonly #expected = digest(process.env.SLUICE_ADMIN_TOKEN ?? '');
  readonly #configured = Boolean(process.env.SLUICE_ADMIN_TOKEN);

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest & { actor?: string }>();
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!this.#configured || !token || !timingSafeEqual(digest(token), this.#expected)) {
      throw new DomainError(ErrorCodes.unauthorized, 'a valid admin token is required (Authorization: Bearer <token>)');
    }
    req.actor = 'admin:owner';
    return true;
  }
}
