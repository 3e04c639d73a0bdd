import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Actor, AdminRole } from '@sluice/contracts';
import type { Resolution } from '../auth/principal';

/**
 * An admin request after the guard: `actor` is the caller's identity (`env-owner`, `admin-token:<id>`),
 * `role` its role; `authentication` is set when its token was resolved before its body was read.
 */
export type AdminRequest = FastifyRequest & {
  actor?: string;
  role?: AdminRole;
  requestId?: string;
  authentication?: Resolution;
};

/**
 * Who made the request, from where, and its request id (one per request), recorded in the metadata of every event it
 * causes.
 */
export function actorOf(req: AdminRequest): Actor {
  if (!req.requestId) {
    const incoming = req.headers['x-request-id'];
    req.requestId = typeof incoming === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
  }
  const traceparent = typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined;
  // The socket peer, not a forwarded header a caller could write.
  const clientIp = req.socket?.remoteAddress;
  return { actor: req.actor ?? 'anonymous', requestId: req.requestId, traceparent, ...(clientIp ? { clientIp } : {}) };
}

export const CurrentActor = createParamDecorator(
  (_: unknown, context: ExecutionContext): Actor => actorOf(context.switchToHttp().getRequest<AdminRequest>()),
);
