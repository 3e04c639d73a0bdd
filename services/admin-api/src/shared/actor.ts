import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '@sluice/contracts';

/** Who made the request and its request id, recorded in the metadata of every event it causes. */
export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): Actor => {
  const req = context.switchToHttp().getRequest<FastifyRequest & { actor?: string }>();
  const incoming = req.headers['x-request-id'];
  const requestId = typeof incoming === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
  const traceparent = typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined;
  return { actor: req.actor ?? 'anonymous', requestId, traceparent };
});
