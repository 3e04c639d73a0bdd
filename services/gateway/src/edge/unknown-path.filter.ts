import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OpenAiError } from '@sluice/contracts';
import { sendError } from '../dialects/openai/send-error';
import { GatewayErrors, invalidUrl } from '../errors/gateway-errors';
import { requestIdOf } from './request-id';

/**
 * Whatever NestJS itself answers outside the /v1 routes (which answer for themselves): a path no
 * route serves, a body too large for a path that reads none. In OpenAI's shape like every other
 * answer of the gateway, never NestJS's or Fastify's own body.
 */
@Catch()
export class UnknownPathFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    sendError(http.getResponse<FastifyReply>(), requestIdOf(req.headers), errorOf(err, req));
  }
}

function errorOf(err: unknown, req: FastifyRequest): OpenAiError {
  const status = err instanceof HttpException ? err.getStatus() : (err as { statusCode?: unknown })?.statusCode;
  if (status === 404) return invalidUrl(req.method, req.url.split('?')[0]);
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return {
      status,
      type: 'invalid_request_error',
      code: null,
      param: null,
      message: status === 413 ? 'This path takes no request body of that size.' : 'The request could not be read.',
    };
  }
  return GatewayErrors.internal;
}
