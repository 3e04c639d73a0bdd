import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { serveMetrics, shutdownMetrics, type MetricsEndpoint } from '@sluice/telemetry';

export interface Readiness {
  /** Resolves true when the service can do its job (connected, caught up). */
  isReady(): boolean;
}

export interface BootstrapOptions {
  name: string;
  module: unknown;
  port: number;
  host?: string;
  logger: Logger;
  bodyLimit?: number;
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
  const adapter = new FastifyAdapter({ bodyLimit: opts.bodyLimit ?? 32 * 1024 * 1024, logger: false });
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
    // Not the gateway's own host (SLUICE_GATEWAY_HOST): a gateway opened to the network keeps its metrics where the other services' are.
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

/** Every service's `/metrics` port when SLUICE_METRICS_PORT is unset (the OpenTelemetry Prometheus exporter's default). */
export const DEFAULT_METRICS_PORT = 9464;
