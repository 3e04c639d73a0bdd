import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { parseEvent, Streams, Subjects, type AuthorizeRequest, type ListModelsRequest, type PublishedEvent, type SyncRequest } from '@sluice/contracts';
import { connectNats, ensureStreams, followStream, serve, type NatsConnection } from '@sluice/messaging';
import { createLogger, env, type Readiness } from '@sluice/service';
import { authorize } from './authorize/authorize';
import { Catalog } from './catalog/catalog';
import { KeyTable } from './keys/key-table';
import { listModels } from './list-models/list-models';
import { AppliedVersions } from './sync/applied-versions';

export const logger = createLogger('policy');

/**
 * Follows the event stream into memory and answers `authorize` from it. It starts answering only
 * once it has caught up with every event that existed at start: until then the gateway gets no
 * responder and refuses the call (fail closed).
 */
@Injectable()
export class PolicyRuntime implements OnApplicationBootstrap, OnApplicationShutdown, Readiness {
  readonly keys = new KeyTable();
  readonly catalog = new Catalog();
  readonly versions = new AppliedVersions();
  #nc?: NatsConnection;
  #follower?: { stop(): Promise<void> };
  #ready = false;

  async onApplicationBootstrap(): Promise<void> {
    this.#nc = await connectNats(env('NATS_URL', 'nats://127.0.0.1:4222'), 'policy');
    await ensureStreams(this.#nc);
    const follower = await followStream(this.#nc, {
      stream: Streams.events.name,
      handler: (msg) => {
        const published = msg.json<PublishedEvent>();
        const event = parseEvent(published);
        if (event) {
          this.keys.apply(event);
          this.catalog.apply(event);
        }
        this.versions.applied(published.streamId, published.streamVersion);
      },
    });
    this.#follower = follower;
    await follower.caughtUp;
    const nc = this.#nc;
    serve(nc, Subjects.rpc.authorize, async (req) => authorize(req as AuthorizeRequest, this.keys, this.catalog, Date.now()), { queue: 'policy', logger });
    serve(nc, Subjects.rpc.listModels, async (req) => listModels(req as ListModelsRequest, this.keys, this.catalog, Date.now()), { queue: 'policy', logger });
    serve(nc, Subjects.rpc.policySync, async (req) => {
      const { streamId, version, timeoutMs } = req as SyncRequest;
      return { applied: await this.versions.waitFor(streamId, version, Math.min(timeoutMs ?? 1000, 5000)) };
    }, { queue: 'policy', logger });
    this.#ready = true;
    logger.info('policy caught up with the event stream and is answering');
  }

  isReady(): boolean {
    return this.#ready && !this.#nc?.isClosed();
  }

  async onApplicationShutdown(): Promise<void> {
    this.#ready = false;
    await this.#follower?.stop().catch(() => {});
    await this.#nc?.drain().catch(() => {});
  }
}
