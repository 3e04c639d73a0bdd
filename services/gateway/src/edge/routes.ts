import type { FastifyError, FastifyInstance } from 'fastify';
import { invalidUrl } from '../errors/gateway-errors';
import { speaksAnthropic } from '../dialects/anthropic/models-route';
import { admit, answerFailure, errorsFor } from './admission';
import { disarmClientIdle } from './client-idle';
import { FastLane } from './fast-lane';
import { inferencePaths, type IngressRoutes } from './ingress-routes';
import type { RequestContext } from './request-context';
import { answerUnreadableHeaders } from './unreadable-header';

export type { IngressRoutes } from './ingress-routes';

/**
 * The gateway's HTTP surface, as raw Fastify routes in their own scope: every dialect's endpoints
 * over the one call pipeline. The key is checked in onRequest, before the body is read or anything
 * else happens (offline, and with policy when the body is large); bodies of any content type are
 * taken as bytes and parsed once, by the dialect. In front of them, the fast lane takes the
 * inference calls in JSON through the same admission and answers (fast-lane.ts).
 * Errors raised before a dialect has the request are written in the shape its path speaks.
 */
export function registerIngress(app: FastifyInstance, routes: IngressRoutes): void {
  answerUnreadableHeaders(app.server);
  const inference = inferencePaths(routes);
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: routes.bodyLimit }, (_req, body, done) =>
      done(null, body),
    );
    scope.decorateRequest('sluice', null as unknown as RequestContext);

    scope.addHook('onRequest', (req, reply, done) => admit(routes, req, reply, done));
    scope.addHook('preValidation', (req, _reply, done) => {
      disarmClientIdle(req.raw.socket);
      done();
    });
    scope.setErrorHandler((err: FastifyError, req, reply) => answerFailure(routes, req, reply, err));

    for (const [path, handle] of inference) scope.post(path, handle);
    scope.post('/v1/messages/count_tokens', (req, reply) => routes.countTokens.handle(req, reply));
    scope.get('/v1/models', (req, reply) =>
      speaksAnthropic(req.headers) ? routes.anthropicModels.list(req, reply) : routes.models.list(req, reply),
    );
    scope.get<{ Params: { model: string } }>('/v1/models/:model', (req, reply) =>
      speaksAnthropic(req.headers) ? routes.anthropicModels.retrieve(req, reply) : routes.models.retrieve(req, reply),
    );
    const { responseResources: stored } = routes;
    scope.post('/v1/responses/input_tokens', (req, reply) => stored.inputTokens(req, reply));
    scope.get<{ Params: { id: string } }>('/v1/responses/:id', (req, reply) => stored.retrieve(req, reply));
    scope.delete<{ Params: { id: string } }>('/v1/responses/:id', (req, reply) => stored.remove(req, reply));
    scope.post<{ Params: { id: string } }>('/v1/responses/:id/cancel', (req, reply) => stored.cancel(req, reply));
    scope.get<{ Params: { id: string } }>('/v1/responses/:id/input_items', (req, reply) =>
      stored.inputItems(req, reply),
    );
    scope.all('/v1/*', async (req, reply) =>
      errorsFor(routes, req.url, req.headers).sendError(
        reply,
        req.sluice.requestId,
        invalidUrl(req.method, req.url.split('?')[0]),
      ),
    );
  });
  const lane = new FastLane(inference, routes);
  lane.install(app.server);
  app.addHook('preClose', (done) => {
    lane.close();
    done();
  });
}
