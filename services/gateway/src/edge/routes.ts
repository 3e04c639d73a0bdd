import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@sluice/service';
import type { OpenAiDialect } from '../dialects/openai/openai-dialect';
import type { ModelsRoute } from '../dialects/openai/models-route';
import type { ResponsesDialect } from '../dialects/responses/responses-dialect';
import type { ResponseResources } from '../dialects/responses/responses-resources';
import { GatewayErrors, invalidUrl, requestTooLarge } from '../errors/gateway-errors';
import type { CallPipeline } from '../pipeline/call-pipeline';
import type { ErrorShape } from '../pipeline/dialect';
import type { ClientIpOf } from './client-ip';
import { requestIdOf, requestIdsOf } from './request-id';
import type { RequestContext } from './request-context';
import { answerUnreadableHeaders } from './unreadable-header';
import { virtualKeyOf } from './virtual-key';

export interface IngressRoutes {
  pipeline: CallPipeline;
  openai: OpenAiDialect;
  models: ModelsRoute;
  responses: ResponsesDialect;
  responseResources: ResponseResources;
  clientIp: ClientIpOf;
  bodyLimit: number;
  logger: Logger;
}

/**
 * The gateway's HTTP surface, as raw Fastify routes in their own scope: every dialect's endpoints
 * over the one call pipeline. The key is checked in onRequest, before the body is read or anything
 * else happens; bodies of any content type are taken as bytes and parsed once, by the dialect.
 * Errors raised before a dialect has the request are written in the shape its path speaks.
 */
export function registerIngress(app: FastifyInstance, routes: IngressRoutes): void {
  answerUnreadableHeaders(app.server);
  const errorsFor = (_url: string): ErrorShape => routes.openai;
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: routes.bodyLimit }, (_req, body, done) => done(null, body));
    scope.decorateRequest('sluice', null as unknown as RequestContext);

    scope.addHook('onRequest', (req, reply, done) => {
      const { requestId, callId, clientRequestId } = requestIdsOf(req.headers);
      const found = virtualKeyOf(req.headers);
      if (found.kind !== 'found') return errorsFor(req.url).sendError(reply, requestId, found.kind === 'missing' ? GatewayErrors.missingKey : GatewayErrors.malformedKey);
      const clientIp = routes.clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for']);
      req.sluice = { requestId, callId, clientRequestId, key: found.key, clientIp, startedAt: Date.now(), t0: performance.now() };
      done();
    });

    scope.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
      const requestId = req.sluice?.requestId ?? requestIdOf(req.headers);
      const errors = errorsFor(req.url);
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return errors.sendError(reply, requestId, requestTooLarge(routes.bodyLimit));
      if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
        return errors.sendError(reply, requestId, { status: err.statusCode, type: 'invalid_request_error', code: null, param: null, message: 'The request could not be read.' });
      }
      routes.logger.error({ requestId, err: err.message }, 'unhandled error on the proxy path');
      errors.sendError(reply, requestId, GatewayErrors.internal);
    });

    const { pipeline, openai } = routes;
    scope.post('/v1/chat/completions', (req, reply) => pipeline.handle(openai, 'chat', req, reply));
    scope.post('/v1/completions', (req, reply) => pipeline.handle(openai, 'completions', req, reply));
    scope.post('/v1/embeddings', (req, reply) => pipeline.handle(openai, 'embeddings', req, reply));
    scope.get('/v1/models', (req, reply) => routes.models.list(req, reply));
    scope.get<{ Params: { model: string } }>('/v1/models/:model', (req, reply) => routes.models.retrieve(req, reply));
    const { responses, responseResources: stored } = routes;
    scope.post('/v1/responses', (req, reply) => pipeline.handle(responses, 'responses', req, reply));
    scope.post('/v1/responses/input_tokens', (req, reply) => stored.inputTokens(req, reply));
    scope.get<{ Params: { id: string } }>('/v1/responses/:id', (req, reply) => stored.retrieve(req, reply));
    scope.delete<{ Params: { id: string } }>('/v1/responses/:id', (req, reply) => stored.remove(req, reply));
    scope.post<{ Params: { id: string } }>('/v1/responses/:id/cancel', (req, reply) => stored.cancel(req, reply));
    scope.get<{ Params: { id: string } }>('/v1/responses/:id/input_items', (req, reply) => stored.inputItems(req, reply));
    scope.all('/v1/*', async (req, reply) => errorsFor(req.url).sendError(reply, req.sluice.requestId, invalidUrl(req.method, req.url.split('?')[0])));
  });
}
