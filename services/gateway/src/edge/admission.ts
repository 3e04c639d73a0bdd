import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { carriesBody, closeAfterAnswer } from '@sluice/service';
import { GatewayErrors, requestTooLarge } from '../errors/gateway-errors';
import type { ErrorShape } from '../pipeline/dialect';
import { armClientIdle } from './client-idle';
import { anthropicShaped } from './error-shape';
import type { CallReply } from '../pipeline/exchange';
import type { IngressRoutes } from './ingress-routes';
import { requestIdOf, requestIdsOf } from './request-id';
import type { RequestContext } from './request-context';
import { virtualKeyOf } from './virtual-key';

/** A request whose headers were read, before its body: what admission reads and what it adds. */
export interface ArrivingRequest {
  readonly raw: IncomingMessage;
  readonly headers: IncomingHttpHeaders;
  readonly url: string;
  sluice: RequestContext;
}

/** Anthropic's paths, and /v1/models for an Anthropic caller, answer in Anthropic's shape; the rest in OpenAI's. */
export const errorsFor = (routes: IngressRoutes, url: string, headers: IncomingHttpHeaders): ErrorShape =>
  anthropicShaped({ path: url, has: (h) => headers[h] !== undefined }) ? routes.messages : routes.openai;

/**
 * What the edge does with a request once its headers are read, before its body is: its ids, its key
 * (well formed, offline), its client's address; the client cut if its body stalls; and a body that
 * may be large read only once policy knows the key. `proceed` is called when the request may go on
 * (with an error: answer it with `answerFailure`); otherwise its answer was sent.
 */
export function admit(
  routes: IngressRoutes,
  req: ArrivingRequest,
  reply: CallReply,
  proceed: (err?: Error) => void,
): void {
  const { requestId, callId, clientRequestId } = requestIdsOf(req.headers);
  const found = virtualKeyOf(req.headers);
  if (found.kind !== 'found') {
    const error = found.kind === 'missing' ? GatewayErrors.missingKey : GatewayErrors.malformedKey;
    if (carriesBody(req.headers)) closeAfterAnswer(reply.raw);
    errorsFor(routes, req.url, req.headers).sendError(reply, requestId, error);
    return;
  }
  const clientIp = routes.clientIp(req.raw.socket.remoteAddress, req.headers['x-forwarded-for']);
  req.sluice = {
    requestId,
    callId,
    clientRequestId,
    key: found.key,
    clientIp,
    startedAt: Date.now(),
    t0: performance.now(),
  };
  if (!carriesBody(req.headers)) {
    proceed();
    return;
  }
  armClientIdle(req.raw.socket, routes.bodyIdleMs);
  if (!routes.keyCheck.needed(req.headers)) {
    proceed();
    return;
  }
  routes.keyCheck
    .refusal(req.sluice)
    .then((refusal) => {
      if (refusal === null) {
        proceed();
        return;
      }
      closeAfterAnswer(reply.raw);
      errorsFor(routes, req.url, req.headers).sendError(reply, requestId, refusal);
    }, proceed)
    .catch(() => req.raw.socket.destroy());
}

/** Fastify's code for a body over its limit; the fast lane's reader says it the same way. */
export const BODY_TOO_LARGE = 'FST_ERR_CTP_BODY_TOO_LARGE';

/**
 * A request that failed outside its dialect: a body too large or unreadable (the client's error, in
 * the shape its path speaks), or anything else (logged; a 500).
 */
export function answerFailure(
  routes: IngressRoutes,
  req: { readonly headers: IncomingHttpHeaders; readonly url: string; readonly sluice?: RequestContext | null },
  reply: CallReply,
  err: Error & { code?: string; statusCode?: number },
): void {
  const requestId = req.sluice?.requestId ?? requestIdOf(req.headers);
  const errors = errorsFor(routes, req.url, req.headers);
  if (err.code === BODY_TOO_LARGE) {
    errors.sendError(reply, requestId, requestTooLarge(routes.bodyLimit));
    return;
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    const error = { status: err.statusCode, type: 'invalid_request_error', code: null, param: null };
    errors.sendError(reply, requestId, { ...error, message: 'The request could not be read.' });
    return;
  }
  routes.logger.error({ requestId, err: err.message }, 'unhandled error on the proxy path');
  if (!reply.sent && !reply.raw.headersSent) errors.sendError(reply, requestId, GatewayErrors.internal);
}
