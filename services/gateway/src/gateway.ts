import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootstrapService, createLogger, type Logger } from '@sluice/service';
import { DEFAULT_CONFIG, type GatewayConfig } from './config';
import { GatewayModule, INGRESS } from './gateway.module';
import { clientErrorBody } from './edge/client-error-body';
import { registerIngress, type IngressRoutes } from './edge/routes';
import { UnknownPathFilter } from './edge/unknown-path.filter';

export interface RunningGateway {
  /** Base URL including `/v1`, for SDK clients. */
  url: string;
  app: NestFastifyApplication;
  close(): Promise<void>;
}

export type GatewayOptions = Partial<GatewayConfig> & { natsUrl: string; logger?: Logger };

/** Starts the gateway in this process (main.ts does it from the environment; tests call it directly). */
export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const config: GatewayConfig = { ...DEFAULT_CONFIG, port: 8080, ...opts };
  const logger = opts.logger ?? createLogger('gateway');
  const app = await bootstrapService({
    name: 'gateway',
    module: GatewayModule.forRoot(config, logger),
    port: config.port,
    host: config.host,
    logger,
    // Only the /v1 routes read bodies, with their own limit (routes.ts); the rest of the port reads
    // none, so a stranger's POST to any other path is not buffered up to the /v1 limit.
    receive: { headersTimeoutMs: config.requestHeadersTimeoutMs, requestTimeoutMs: config.requestTimeoutMs },
    clientErrorBody,
    metricsPort: config.metricsPort,
    configure: (nest) => {
      nest.useGlobalFilters(new UnknownPathFilter());
      registerIngress(nest.getHttpAdapter().getInstance(), nest.get<IngressRoutes>(INGRESS));
    },
  });
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1`, app, close: () => app.close() };
}
