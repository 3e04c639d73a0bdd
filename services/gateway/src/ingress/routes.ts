import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { carriesBody, type Logger } from '@sluice/service';
import { armClientIdle, disarmClientIdle } from './client-idle';
import type { ClientIpOf } from './client-ip';
import type { InferenceRoute } from './inference-route';
import type { KeyCheck } from './key-check';
import type { ModelsRoute } from './models-route';
import { GatewayErrors, invalidUrl, requestTooLarge } from './openai-errors';
import { requestIdOf, requestIdsOf } from './request-id';
import type { RequestContext } from './request-context';
import { sendError } from './send-error';
import { virtualKeyOf } from './virtual-key';

export interface IngressRoutes {
  inference: InferenceRoute;
  models: ModelsRoute;
  keyCheck: KeyCheck;
  clientIp: ClientIpOf;
  bodyLimit: number;
  /** The longest a request body may stop arriving. */
  bodyIdleMs: number;
  logger: Logger;
}

/**
 * The OpenAI-compatible surface, as raw Fastify routes in their own scope. The key is checked in
 * onRequest, before the body is read or anything else happens (offline, and with policy when the
 * body is large); bodies of any content type are taken as bytes and parsed once, by the route.
 */
export function registerIngress(app: FastifyInstance, routes: IngressRoutes): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: routes.bodyLimit }, (_req, body, done) => done(null, body));
    scope.decorateRequest('sluice', null as unknown as RequestContext);

    scope.addHook('onRequest', (req, reply, done) => {
      const { requestId, callId, clientRequestId } = requestIdsOf(req.headers);
      const found = virtualKeyOf(req.headers);
      if (found.kind !== 'found') return sendError(reply, requestId, found.kind === 'missing' ? GatewayErrors.missingKey : GatewayErrors.malformedKey);
      const clientIp = routes.clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for']);
      req.sluice = { requestId, callId, clientRequestId, key: found.key, clientIp, startedAt: Date.now(), t0: performance.now() };
      if (!carriesBody(req.headers)) return done();
      armClientIdle(req.raw.socket, routes.bodyIdleMs);
      if (!routes.keyCheck.needed(req.headers)) return done();
      routes.keyCheck.refusal(req.sluice).then((refusal) => {
        if (refusal === null) return done();
        // The body is never read: the connection goes with the answer.
        reply.header('connection', 'close');
        sendError(reply, requestId, refusal);
      }, done);
    });

    scope.addHook('preValidation', (req, _reply, done) => {
      disarmClientIdle(req.raw.socket);
      done();
    });

    scope.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
      const requestId = req.sluice?.requestId ?? requestIdOf(req.headers);
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, requestId, requestTooLarge(routes.bodyLimit));
      if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
        return sendError(reply, requestId, { status: err.statusCode, type: 'invalid_request_error', code: null, param: null, message: 'The request could not be read.' });
      }
      routes.logger.error({ requestId, err: err.message }, 'unhandled error on the proxy path');
      sendError(reply, requestId, GatewayErrors.internal);
    });

    scope.post('/v1/chat/completions', (req, reply) => routes.inference.handle('chat', req, reply));
    scope.post('/v1/completions', (req, reply) => routes.inference.handle('completions', req, reply));
    scope.post('/v1/embeddings', (req, reply) => routes.inference.handle('embeddings', req, reply));
    scope.get('/v1/models', (req, reply) => routes.models.list(req, reply));
    scope.get<{ Params: { model: string } }>('/v1/models/:model', (req, reply) => routes.models.retrieve(req, reply));
    scope.all('/v1/*', async (req, reply) => sendError(reply, req.sluice.requestId, invalidUrl(req.method, req.url.split('?')[0])));
  });
}
