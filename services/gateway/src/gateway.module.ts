import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectedProbe, connectNats } from '@sluice/messaging';
import { meterOf, observeConnectivity } from '@sluice/telemetry';
import { provide, READINESS, token, type Logger } from '@sluice/service';
import { Authorizer } from './authorize/authorizer';
import type { GatewayConfig } from './config';
import { CredentialStore } from './credentials/credential-store';
import { CredentialSync } from './credentials/credential-sync';
import { CountTokensRoute } from './dialects/anthropic/count-tokens-route';
import { MessagesDialect } from './dialects/anthropic/messages-dialect';
import { AnthropicModelsRoute } from './dialects/anthropic/models-route';
import { AnthropicPassthrough } from './dialects/anthropic/passthrough/passthrough';
import { MessagesTranslation } from './dialects/anthropic/translation/translated-messages';
import { ModelsRoute } from './dialects/openai/models-route';
import { OpenAiDialect } from './dialects/openai/openai-dialect';
import { BridgedResponses } from './dialects/responses/bridge/bridged-responses';
import { NativeResponses } from './dialects/responses/native/native-responses';
import { ResponsesDialect } from './dialects/responses/responses-dialect';
import { ResponseResources } from './dialects/responses/responses-resources';
import { ResponseStoreClient } from './dialects/responses/store/response-store-client';
import { clientIpResolver } from './edge/client-ip';
import { KeyCheck } from './edge/key-check';
import type { IngressRoutes } from './edge/ingress-routes';
import { CallPipeline } from './pipeline/call-pipeline';
import { GatewayReadiness } from './nats/readiness';
import { OpenAiCompatibleProvider } from './providers/openai-compatible/openai-compatible';
import { UpstreamDispatch } from './providers/upstream-dispatch';
import { UsagePublisher } from './usage/usage-publisher';
import { SpoolRecovery } from './usage/spool/spool-recovery';
import { UsageSpool } from './usage/spool/usage-spool';

export const GATEWAY_CONFIG = token<GatewayConfig>('GATEWAY_CONFIG');
export const LOGGER = token<Logger>('LOGGER');
export const NATS = token<NatsConnection>('NATS');
export const INGRESS = token<IngressRoutes>('INGRESS');
const CLAIMED_SPOOLS = token<ReturnType<typeof UsageSpool.open>>('CLAIMED_SPOOLS');

const messaging = [
  provide(NATS, [GATEWAY_CONFIG], (config) => connectNats(config.natsUrl, 'gateway')),
  provide(
    UsagePublisher,
    [NATS, LOGGER, UsageSpool, GATEWAY_CONFIG],
    (nc, logger, spool, config) => new UsagePublisher(nc, logger, (callId) => spool.acked(callId), config.usageBatchMs),
  ),
  provide(Authorizer, [NATS, GATEWAY_CONFIG, UsagePublisher, UsageSpool], (nc, config, publisher, spool) => {
    const authorizer = new Authorizer(
      nc,
      config.authorizeTimeoutMs,
      () => publisher.sendNow(),
      config.usageBatchMs >= 0,
      config.leaseNoticeDelayMs,
    );
    // A turn's leased calls are told to policy before any of them asks its upstream (without a notice delay).
    spool.sendFirst(() => authorizer.sendTurnNotices());
    return authorizer;
  }),
];

// Dead gateways' spool files are claimed before this process starts its own, and republished before it serves.
const usageSpool = [
  provide(CLAIMED_SPOOLS, [GATEWAY_CONFIG, LOGGER], (config, logger) => UsageSpool.open(config.spoolDir, logger)),
  provide(UsageSpool, [CLAIMED_SPOOLS], (opened) => opened.spool),
  provide(
    SpoolRecovery,
    [CLAIMED_SPOOLS, UsagePublisher, GATEWAY_CONFIG, LOGGER],
    async (opened, publisher, config, logger) => {
      const recovery = new SpoolRecovery(opened.claimed, (usage) => publisher.deliver(usage), logger);
      await recovery.settle(config.spoolRecoveryWaitMs);
      return recovery;
    },
  ),
];

const credentials = [
  provide(CredentialStore, [], () => new CredentialStore()),
  provide(
    CredentialSync,
    [NATS, CredentialStore, LOGGER],
    (nc, store, logger) => new CredentialSync(nc, store, logger),
  ),
];

const providers = [
  provide(
    OpenAiCompatibleProvider,
    [GATEWAY_CONFIG],
    (config) =>
      new OpenAiCompatibleProvider(
        { headersTimeoutMs: config.upstreamHeadersTimeoutMs, bodyTimeoutMs: config.upstreamBodyTimeoutMs },
        config.upstreamAllow,
      ),
  ),
  provide(
    UpstreamDispatch,
    [CredentialSync, OpenAiCompatibleProvider, LOGGER, GATEWAY_CONFIG],
    (sync, openai, logger, config) => new UpstreamDispatch(sync, openai, logger, config.maxSseEventBytes),
  ),
];

const httpRoutes = [
  provide(
    INGRESS,
    [Authorizer, UpstreamDispatch, UsagePublisher, UsageSpool, NATS, GATEWAY_CONFIG, LOGGER],
    (authorizer, dispatch, publisher, spool, nc, config, logger) => {
      const passthrough = new AnthropicPassthrough(dispatch, config, logger);
      const store = new ResponseStoreClient(nc, logger);
      return {
        pipeline: new CallPipeline(authorizer, publisher, spool, logger, config.maxCallMs),
        openai: new OpenAiDialect(dispatch, config, logger),
        models: new ModelsRoute(authorizer),
        messages: new MessagesDialect(passthrough, new MessagesTranslation(dispatch, config, logger)),
        countTokens: new CountTokensRoute(authorizer, passthrough, config.maxCallMs),
        anthropicModels: new AnthropicModelsRoute(authorizer),
        responses: new ResponsesDialect(
          authorizer,
          store,
          new NativeResponses(dispatch, store, config, logger),
          new BridgedResponses(dispatch, store, config, logger),
        ),
        responseResources: new ResponseResources(authorizer, store, dispatch, config, logger),
        clientIp: clientIpResolver(config.trustedProxies),
        keyCheck: new KeyCheck(authorizer, config.keyCheckAboveBytes),
        bodyLimit: config.bodyLimit,
        bodyIdleMs: config.requestBodyIdleMs,
        logger,
      };
    },
  ),
];

/**
 * Starts credential sync once everything is built; on shutdown flushes usage (and closes its spool) before NATS closes.
 */
@Injectable()
export class GatewayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CredentialSync) private readonly sync: CredentialSync,
    @Inject(Authorizer) private readonly authorizer: Authorizer,
    @Inject(UsagePublisher) private readonly publisher: UsagePublisher,
    @Inject(UsageSpool) private readonly spool: UsageSpool,
    @Inject(OpenAiCompatibleProvider) private readonly upstreams: OpenAiCompatibleProvider,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    observeConnectivity(meterOf('gateway'), { nats: connectedProbe(this.nc) });
    this.sync.start();
    this.authorizer.answerInFlight(this.logger);
  }

  async onApplicationShutdown(): Promise<void> {
    this.sync.stop();
    // Handed back now, not held by policy until their sweep (drain below flushes the returns).
    this.authorizer.leases.closeAll();
    await this.publisher.flush(this.config.shutdownFlushMs);
    this.spool.close();
    await this.upstreams.close().catch(() => undefined);
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => undefined);
  }
}

const lifecycle = [
  GatewayLifecycle,
  provide(GatewayReadiness, [NATS, CredentialStore], (nc, store) => new GatewayReadiness(nc, store)),
  { provide: READINESS, useExisting: GatewayReadiness },
];

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, logger: Logger): DynamicModule {
    return {
      module: GatewayModule,
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        ...messaging,
        ...usageSpool,
        ...credentials,
        ...providers,
        ...httpRoutes,
        ...lifecycle,
      ],
    };
  }
}
