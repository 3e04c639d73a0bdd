import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DomainError, ErrorCodes } from '@sluice/contracts';
import { carriesBody } from '@sluice/service';
import type { AdminRequest } from '../shared/actor';
import { sendDomainError } from '../shared/error.filter';
import { AdminTokenGuard } from './admin-token.guard';

/**
 * A caller without a valid admin token must not make the admin API read and parse a body: for a
 * request that carries one, the token is resolved in onRequest, before the body is read, and a
 * refusal is answered there and then (the connection closes with it). Roles and field rules need
 * the body, so they stay with the guard, which takes the resolution from here.
 */
export function checkTokenBeforeBody(app: NestFastifyApplication): void {
  const guard = app.get(AdminTokenGuard);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', async (raw, reply) => {
      const req = raw as AdminRequest;
      if (!carriesBody(req.headers)) return;
      try {
        req.authentication = await guard.authenticate(req);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        sendDomainError(reply, err);
        return reply;
      }
      if (req.authentication.ok) return;
      reply.header('connection', 'close');
      sendDomainError(reply, new DomainError(ErrorCodes.unauthorized, req.authentication.message));
      return reply;
    });
}
