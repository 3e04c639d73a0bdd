import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DomainError, ErrorCodes, httpStatusOf } from '@sluice/contracts';
import { isDatabaseUnavailable } from '@sluice/db';
import { logger } from './logger';

const PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE';

/** The one place admin errors become HTTP: `{error: {code, message, param?}}`. */
@Catch()
export class AdminErrorFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (err instanceof DomainError) {
      sendDomainError(reply, err);
      return;
    }
    if (err instanceof HttpException) {
      const status = err.getStatus();
      const code =
        status === 404
          ? ErrorCodes.notFound
          : status === 400
            ? ErrorCodes.validation
            : status === 413
              ? PAYLOAD_TOO_LARGE
              : `HTTP_${status}`;
      void reply.code(status).send({ error: { code, message: err.message } });
      return;
    }
    // Fastify's own errors (unparseable body, body too large) carry a 4xx statusCode.
    const status = (err as { statusCode?: number })?.statusCode;
    if (status && status >= 400 && status < 500) {
      void reply.code(status).send({
        error: { code: status === 413 ? PAYLOAD_TOO_LARGE : ErrorCodes.validation, message: (err as Error).message },
      });
      return;
    }
    if (isDatabaseUnavailable(err)) {
      logger.warn({ err: (err as Error).message }, 'admin request failed: the database is unavailable');
      void reply
        .code(503)
        .send({ error: { code: ErrorCodes.unavailable, message: 'the database is unavailable; retry shortly' } });
      return;
    }
    logger.error({ err: (err as Error)?.message }, 'admin request failed');
    void reply.code(500).send({ error: { code: ErrorCodes.internal, message: 'internal error' } });
  }
}

/** A DomainError as its status and body; also used by hooks that answer before Nest routes the request. */
export function sendDomainError(reply: FastifyReply, err: DomainError): void {
  const param = err.details?.param;
  void reply
    .code(httpStatusOf(err.code))
    .send({ error: { code: err.code, message: err.message, ...(param ? { param } : {}) } });
}
