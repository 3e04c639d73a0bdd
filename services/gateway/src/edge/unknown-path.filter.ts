import { Catch, NotFoundException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../dialects/openai/send-error';
import { invalidUrl } from '../errors/gateway-errors';
import { requestIdOf } from './request-id';

/**
 * A path outside every route (not under /v1, where the ingress answers itself, nor /health, /ready):
 * OpenAI's "Invalid URL" in OpenAI's shape, like any other answer of the gateway, not NestJS's own body.
 */
@Catch(NotFoundException)
export class UnknownPathFilter implements ExceptionFilter {
  catch(_err: NotFoundException, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    sendError(http.getResponse<FastifyReply>(), requestIdOf(req.headers), invalidUrl(req.method, req.url.split('?')[0]));
  }
}
