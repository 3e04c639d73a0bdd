import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { carriesBody, type Logger } from '@sluice/service';
import type { CountTokensRoute } from '../dialects/anthropic/count-tokens-route';
import type { MessagesDialect } from '../dialects/anthropic/messages-dialect';
import { speaksAnthropic, type AnthropicModelsRoute } from '../dialects/anthropic/models-route';
import type { OpenAiDialect } from '../dialects/openai/openai-dialect';
import type { ModelsRoute } from '../dialects/openai/models-route';
import type { ResponsesDialect } from '../dialects/responses/responses-dialect';
import type { ResponseResources } from '../dialects/responses/responses-resources';
import { GatewayErrors, invalidUrl, requestTooLarge } from '../errors/gateway-errors';
import type { CallPipeline } from '../pipeline/call-pipeline';
import type { ErrorShape } from '../pipeline/dialect';
import { armClientIdle, disarmClientIdle } from './client-idle';
import { anthropicShaped } from './error-shape';
import type { ClientIpOf } from './client-ip';
import type { KeyCheck } from './key-check';
import { requestIdOf, requestIdsOf } from './request-id';
import type { RequestContext } from './request-context';
import { answerUnreadableHeaders } from './unreadable-header';
import { virtualKeyOf } from './virtual-key';

export interface IngressRoutes {
  pipeline: CallPipeline;
  openai: OpenAiDialect;
  models: ModelsRoute;
  keyCheck: KeyCheck;
  messages: MessagesDialect;
  countTokens: CountTokensRoute;
  anthropicModels: AnthropicModelsRoute;
  responses: ResponsesDialect;
  responseResources: ResponseResources;
  clientIp: ClientIpOf;
  bodyLimit: number;
  /** The longest a request body may stop arriving. */
  bodyIdleMs: number;
  logger: Logger;
}

/**
 * The gateway's HTTP surface, as raw Fastify routes in their own scope: every dialect's endpoints
 * over the one call pipeline. The key is checked in onRequest, before the body is read or anything
 * else happens (offline, and with policy when the body is large); bodies of any content type are
 * taken as bytes and parsed once, by the dialect.
 * Errors raised before a dialect has the request are written in the shape its path speaks.
 */
export function registerIngress(app: FastifyInstance, routes: IngressRoutes): void {
  answerUnreadableHeaders(app.server);
  // Anthropic's paths, and /v1/models for an Anthropic caller, answer in Anthropic's shape.
  const errorsFor = (url: string, headers: IncomingHttpHeaders): ErrorShape =>
    anthropicShaped({ path: url, has: (h) => headers[h] !== undefined }) ? routes.messages : routes.openai;
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: routes.bodyLimit }, (_req, body, done) =>
      done(null, body),
    );
    scope.decorateRequest('sluice', null as unknown as RequestContext);

    scope.addHook('onRequest', (req, reply, done) => {
      const { requestId, callId, clientRequestId } = requestIdsOf(req.headers);
      const found = virtualKeyOf(req.headers);
      if (found.kind !== 'found')
        return errorsFor(req.url, req.headers).sendError(
          reply,
          requestId,
          found.kind === 'missing' ? GatewayErrors.missingKey : GatewayErrors.malformedKey,
        );
      const clientIp = routes.clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for']);
      req.sluice = {
        requestId,
        callId,
        clientRequestId,
        key: found.key,
        clientIp,
        startedAt: Date.now(),
        t0: performance.now(),
      };
      if (!carriesBody(req.headers)) return done();
      armClientIdle(req.raw.socket, routes.bodyIdleMs);
      if (!routes.keyCheck.needed(req.headers)) return done();
      routes.keyCheck.refusal(req.sluice).then((refusal) => {
        if (refusal === null) return done();
        // The body is never read: the connection goes with the answer.
        reply.header('connection', 'close');
        errorsFor(req.url, req.headers).sendError(reply, requestId, refusal);
      }, done);
    });

    scope.addHook('preValidation', (req, _reply, done) => {
      disarmClientIdle(req.raw.socket);
      done();
    });

    scope.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
      const requestId = req.sluice?.requestId ?? requestIdOf(req.headers);
      const errors = errorsFor(req.url, req.headers);
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
        return errors.sendError(reply, requestId, requestTooLarge(routes.bodyLimit));
      if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
        return errors.sendError(reply, requestId, {
          status: err.statusCode,
          type: 'invalid_request_error',
          code: null,
          param: null,
          message: 'The request could not be read.',
        });
      }
      routes.logger.error({ requestId, err: err.message }, 'unhandled error on the proxy path');
      errors.sendError(reply, requestId, GatewayErrors.internal);
    });

    const { pipeline, openai } = routes;
    scope.post('/v1/chat/completions', (req, reply) => pipeline.handle(openai, 'chat', req, reply));
    scope.post('/v1/completions', (req, reply) => pipeline.handle(openai, 'completions', req, reply));
    scope.post('/v1/embeddings', (req, reply) => pipeline.handle(openai, 'embeddings', req, reply));
    scope.post('/v1/messages', (req, reply) => pipeline.handle(routes.messages, 'messages', req, reply));
    scope.post('/v1/messages/count_tokens', (req, reply) => routes.countTokens.handle(req, reply));
    scope.get('/v1/models', (req, reply) =>
      speaksAnthropic(req.headers) ? routes.anthropicModels.list(req, reply) : routes.models.list(req, reply),
    );
    scope.get<{ Params: { model: string } }>('/v1/models/:model', (req, reply) =>
      speaksAnthropic(req.headers) ? routes.anthropicModels.retrieve(req, reply) : routes.models.retrieve(req, reply),
    );
    const { responses, responseResources: stored } = routes;
    scope.post('/v1/responses', (req, reply) => pipeline.handle(responses, 'responses', req, reply));
    scope.post('/v1/responses/input_tokens', (req, reply) => stored.inputTokens(req, reply));
    scope.get<{ Params: { id: string } }>('/v1/responses/:id', (req, reply) => stored.retrieve(req, reply));
    scope.delete<{ Params: { id: string } }>('/v1/responses/:id', (req, reply) => stored.remove(req, reply));
    scope.post<{ Params: { id: string } }>('/v1/responses/:id/cancel', (req, reply) => stored.cancel(req, reply));
    scope.get<{ Params: { id: string } }>('/v1/responses/:id/input_items', (req, reply) =>
      stored.inputItems(req, reply),
    );
    scope.all('/v1/*', async (req, reply) =>
      errorsFor(req.url, req.headers).sendError(
        reply,
        req.sluice.requestId,
        invalidUrl(req.method, req.url.split('?')[0]),
      ),
    );
  });
}
