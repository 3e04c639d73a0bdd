import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '@sluice/contracts';

/** An admin request after the guard: `actor` is the caller's identity (`env-owner`, `admin-token:<id>`). */
export type AdminRequest = FastifyRequest & { actor?: string; requestId?: string };

/** Who made the request and its request id (one per request), recorded in the metadata of every event it causes. */
export function actorOf(req: AdminRequest): Actor {
  if (!req.requestId) {
    const incoming = req.headers['x-request-id'];
    req.requestId = typeof incoming === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
  }
  const traceparent = typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined;
  return { actor: req.actor ?? 'anonymous', requestId: req.requestId, traceparent };
}

export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): Actor => actorOf(context.switchToHttp().getRequest<AdminRequest>()));
