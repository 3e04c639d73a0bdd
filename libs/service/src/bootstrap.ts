import 'reflect-metadata';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { serveMetrics, shutdownMetrics, type MetricsEndpoint } from '@sluice/telemetry';
import { closeAfterAnswer, closeLingering, lingerOnClose, lingering } from './lingering-close';

export interface Readiness {
  /** Resolves true when the service can do its job (connected, caught up). */
  isReady(): boolean;
}

/** How long a client may take to send a request: a client that stalls is cut, with a 408. */
export interface ReceiveDeadlines {
  /** The request line and every header (a client that sends half its headers and waits). */
  headersTimeoutMs: number;
  /** The whole request, body included (a body trickled a byte at a time). */
  requestTimeoutMs: number;
}

/** A service that takes no bodies over HTTP reads at most this much of one before answering. */
const DEFAULT_BODY_LIMIT = 16 * 1024;

export const DEFAULT_RECEIVE_DEADLINES: ReceiveDeadlines = { headersTimeoutMs: 10_000, requestTimeoutMs: 120_000 };

/**
 * The JSON body answering a request that could not be read: malformed (400), too slow (408), headers too large (431).
 */
/** What is known of a request that could not be read: its path and which headers it sent, where they could be read. */
export interface UnreadRequest {
  path: string;
  has(header: string): boolean;
}

/**
 * The body answering a request that could not be read, in the service's shape (which may depend on the path and
 * headers).
 */
export type ClientErrorBody = (status: 400 | 408 | 431, request: UnreadRequest) => string;

/** The request line and header names in the bytes Node's parser refused (the first packet), as far as they go. */
export function unreadRequestOf(rawPacket: Buffer | undefined): UnreadRequest {
  const text = rawPacket ? rawPacket.toString('latin1') : '';
  const path = /^[A-Z]+ (\S+)/.exec(text)?.[1] ?? '';
  return { path, has: (header) => new RegExp(`\\r\\n${header}:`, 'i').test(text) };
}

export interface BootstrapOptions {
  name: string;
  module: unknown;
  port: number;
  host?: string;
  logger: Logger;
  /** The largest body any route outside the service's own parsers reads (16 KB: health ports read none). */
  bodyLimit?: number;
  receive?: ReceiveDeadlines;
  /** The service's own error shape for requests that could not be read; Fastify's by default. */
  clientErrorBody?: ClientErrorBody;
  /** False when the service installs its own body parsers in `configure`. */
  nestBodyParser?: boolean;
  /** Where `GET /metrics` listens (SLUICE_METRICS_PORT in each main.ts); absent or 0: no endpoint. */
  metricsPort?: number;
  /** Called with the Fastify instance before listen, for raw routes on the hot path. */
  configure?: (app: NestFastifyApplication) => void | Promise<void>;
}

/**
 * Starts a service as a NestJS application on Fastify with `GET /health` (liveness) and
 * `GET /ready` (readiness from every provider registered as READINESS), and closes it cleanly
 * on SIGTERM/SIGINT.
 */
export async function bootstrapService(opts: BootstrapOptions): Promise<NestFastifyApplication> {
  const receive = opts.receive ?? DEFAULT_RECEIVE_DEADLINES;
  const adapter = new FastifyAdapter({
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    logger: false,
    requestTimeout: receive.requestTimeoutMs,
    // Node enforces both deadlines on a sweep every connectionsCheckingInterval (30 s by default),
    // which would let a stalled client stay three times longer than the deadline says.
    http: {
      headersTimeout: receive.headersTimeoutMs,
      requestTimeout: receive.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, receive.headersTimeoutMs / 2),
    },
    ...(opts.clientErrorBody
      ? {
          clientErrorHandler: answerClientError(opts.clientErrorBody),
          frameworkErrors: answerUnroutable(opts.clientErrorBody),
        }
      : {}),
  });
  const app = await NestFactory.create<NestFastifyApplication>(opts.module as never, adapter, {
    logger: ['error', 'warn'],
    bodyParser: opts.nestBodyParser ?? true,
  });
  app.enableShutdownHooks();
  const fastify = app.getHttpAdapter().getInstance();
  const readiness: Readiness[] = [];
  try {
    const found = app.get(READINESS, { strict: false });
    readiness.push(...(Array.isArray(found) ? found : [found]));
  } catch {
    // A service without readiness providers is ready once it listens.
  }
  fastify.get('/health', async () => ({ status: 'ok', service: opts.name }));
  fastify.get('/ready', async (_req, reply) => {
    const ready = readiness.every((r) => r.isReady());
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'starting', service: opts.name });
  });
  await opts.configure?.(app);
  const lingers = lingerOnClose(app.getHttpServer());
  fastify.addHook('preClose', (done) => {
    lingers.stop();
    done();
  });
  let metrics: MetricsEndpoint | undefined;
  fastify.addHook('onClose', async () => {
    if (!metrics) return;
    await metrics.close();
    await shutdownMetrics();
  });
  const host = opts.host ?? process.env.SLUICE_HOST ?? '0.0.0.0';
  await app.listen(opts.port, host);
  opts.logger.info({ port: opts.port, host }, `${opts.name} listening`);
  if (opts.metricsPort) {
    // Not the gateway's own host (SLUICE_GATEWAY_HOST): a gateway opened to the network keeps its metrics where the
    // other services' are.
    const metricsHost = process.env.SLUICE_METRICS_HOST ?? process.env.SLUICE_HOST ?? host;
    metrics = await serveMetrics(opts.name, opts.metricsPort, metricsHost).catch(async (err: Error) => {
      await app.close();
      throw new Error(`metrics endpoint on ${metricsHost}:${opts.metricsPort}: ${err.message}`);
    });
    opts.logger.info({ url: metrics.url }, `${opts.name} metrics`);
  }
  return app;
}

export const READINESS = Symbol.for('sluice.readiness');

const STATUS_LINES = {
  400: '400 Bad Request',
  408: '408 Request Timeout',
  431: '431 Request Header Fields Too Large',
} as const;

/** A request Fastify cannot route (a malformed percent-encoding in its path): a 400 in the service's shape. */
function answerUnroutable(body: ClientErrorBody) {
  return (_err: FastifyError, req: FastifyRequest, reply: FastifyReply): void => {
    void reply
      .code(400)
      .header('content-type', 'application/json')
      .send(body(400, { path: req.url, has: (header) => req.headers[header] !== undefined }));
  };
}

/** The response the socket is writing or will write next: an answer still to come for a request already read. */
export function pendingResponse(socket: Socket): ServerResponse | null {
  return (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? null;
}

/**
 * The request whose headers were read and whose body is still arriving (too slowly): Node keeps it
 * as the request of the socket's current response. None while the headers are still arriving, nor
 * when that response has started: then it is an earlier request's on a pipelined connection.
 */
function requestBeingRead(socket: Socket): UnreadRequest | null {
  const res = pendingResponse(socket);
  const req = res && !res.headersSent ? res.req : undefined;
  if (!req) return null;
  return { path: req.url ?? '', has: (header) => req.headers[header] !== undefined };
}

/**
 * Fastify's clientError handling (answer if the socket can still take it, then close, lingering),
 * with the service's body. A socket whose response has started (a stream in progress, with a
 * request pipelined behind it) is only closed, as Node's own handler does: an answer would land
 * inside it. Bytes that cannot be read behind a request read whole, whose answer is still to come,
 * are a later request's: that answer is given, as the connection's last, and the later request
 * none (a 400 now would be read as the earlier request's answer).
 */
function answerClientError(body: ClientErrorBody) {
  return (err: Error & { code?: string }, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed || lingering(socket)) return;
    const pending = pendingResponse(socket);
    if (pending && !pending.headersSent && pending.req.complete) {
      closeAfterAnswer(pending);
      return;
    }
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const raw = (err as { rawPacket?: Buffer }).rawPacket;
    const json = body(status, raw ? unreadRequestOf(raw) : (requestBeingRead(socket) ?? unreadRequestOf(undefined)));
    if (socket.writable && !pending?.headersSent)
      socket.write(
        `HTTP/1.1 ${STATUS_LINES[status]}\r\nContent-Length: ${Buffer.byteLength(json)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${json}`,
      );
    closeLingering(socket);
  };
}

/**
 * Every service's `/metrics` port when SLUICE_METRICS_PORT is unset (the OpenTelemetry Prometheus exporter's default).
 */
export const DEFAULT_METRICS_PORT = 9464;
