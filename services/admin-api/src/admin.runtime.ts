import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { Database } from '@sluice/db';
import type { NatsConnection } from '@sluice/messaging';
import type { Readiness } from '@sluice/service';
import { observePipeline } from './pipeline-health/pipeline-metrics';
import { DB, NATS } from './shared/tokens';

/** Ready while NATS is connected; measures the pipeline's lag; closes both connections on shutdown. */
@Injectable()
export class AdminRuntime implements Readiness, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(DB) private readonly db: Kysely<Database>,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {}

  onApplicationBootstrap(): void {
    observePipeline(this.db, this.nc);
  }

  isReady(): boolean {
    return !this.nc.isClosed();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.nc.drain().catch(() => {});
    await this.db.destroy();
  }
}
