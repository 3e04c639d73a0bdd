import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { Database } from '@sluice/db';
import type { NatsConnection } from '@sluice/messaging';
import type { Readiness } from '@sluice/service';
import { DB, NATS } from './shared/tokens';

/** Ready while NATS is connected; closes both connections on shutdown. */
@Injectable()
export class AdminRuntime implements Readiness, OnApplicationShutdown {
  constructor(
    @Inject(DB) private readonly db: Kysely<Database>,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {}

  isReady(): boolean {
    return !this.nc.isClosed();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.nc.drain().catch(() => {});
    await this.db.destroy();
  }
}
