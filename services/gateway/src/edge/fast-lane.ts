import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { carriesBody, closeAfterAnswer } from '@sluice/service';
import { admit, answerFailure } from './admission';
import { disarmClientIdle } from './client-idle';
import type { CallHandler, IngressRoutes } from './ingress-routes';
import { LaneReply, LaneRequest } from './lane-exchange';
import { readBody } from './read-body';

/** The content types the lane takes; any other (or a malformed one) is Fastify's to judge. */
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The inference calls, answered before Fastify sees them: a POST to one of the inference paths
 * exactly (no query), in JSON, goes through the same admission, body limit and error answers as
 * Fastify's route would give it, straight to the call pipeline. Fastify's router, hooks, body parser
 * and reply cost ~10 % of the gateway's CPU per call (docs/benchmarks.md). Everything else — other
 * methods and paths, a query string, another content type, a gateway shutting down (Fastify answers
 * 503) — goes on to Fastify, whose routes for the same paths stay and answer it as before.
 */
export class FastLane {
  #closing = false;

  constructor(
    private readonly paths: ReadonlyMap<string, CallHandler>,
    private readonly routes: IngressRoutes,
  ) {}

  /** Puts the lane in front of the server's request listener (Fastify's). */
  install(server: Server): void {
    const listeners = server.listeners('request') as RequestListener[];
    if (listeners.length !== 1) throw new Error(`fast lane: expected one request listener, found ${listeners.length}`);
    const [next] = listeners;
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (!this.take(req, res)) next.call(server, req, res);
    });
  }

  /** From now on Fastify answers everything (with its 503 while it closes). */
  close(): void {
    this.#closing = true;
  }

  private take(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.#closing || req.method !== 'POST') return false;
    const handle = this.paths.get(req.url ?? '');
    if (!handle) return false;
    const type = req.headers['content-type'];
    if (type !== undefined && !JSON_TYPES.has(type.toLowerCase())) return false;
    const request = new LaneRequest(req);
    const reply = new LaneReply(res);
    // Answering the failure may itself fail (a header Node refuses): the connection goes, the process stays.
    const fail = (err: Error): void => {
      try {
        answerFailure(this.routes, request, reply, err);
      } catch {
        res.destroy();
      }
    };
    try {
      this.#admit(request, reply, type, handle, fail);
    } catch (err) {
      // Thrown inside the server's request event it would end the process; Fastify's hook runner catches it too.
      fail(err as Error);
    }
    return true;
  }

  #admit(
    request: LaneRequest,
    reply: LaneReply,
    type: string | undefined,
    handle: CallHandler,
    fail: (err: Error) => void,
  ): void {
    const req = request.raw;
    admit(this.routes, request, reply, (err) => {
      if (err) return fail(err);
      // As Fastify: no body and no type, no body; a type, the bytes that came (perhaps none).
      if (type === undefined && !carriesBody(req.headers)) return void handle(request, reply).catch(fail);
      readBody(req, this.routes.bodyLimit)
        .then(
          (body) => {
            disarmClientIdle(req.socket);
            request.body = body;
            return handle(request, reply);
          },
          (bodyErr: Error) => {
            closeAfterAnswer(reply.raw);
            fail(bodyErr);
          },
        )
        .catch(fail);
    });
  }
}
