import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { Subjects, type Actor } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { request, type NatsConnection } from '@sluice/messaging';
import { DB, NATS } from '../shared/tokens';
import { confirmChange, type PolicyWrite } from './policy-confirmation';

/**
 * An admin write: a command to key-registry over NATS, then the wait for policy to enforce it
 * (confirmChange: `x-sluice-change`, 202 when `?wait=` runs out). `stream` is the stream the
 * command wrote, known before it runs or read from its result (a created id).
 */
@Injectable()
export class ConfirmedCommands {
  constructor(
    @Inject(DB) private readonly db: Kysely<Database>,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {}

  async send<R = unknown>(
    endpoint: string,
    payload: { actor: Actor; [field: string]: unknown },
    write: PolicyWrite,
    stream: string | ((result: R) => string),
  ): Promise<R> {
    const result = await request<R>(this.nc, Subjects.rpc.keyRegistry(endpoint), payload, { trace: payload.actor });
    await confirmChange(this.db, this.nc, write, typeof stream === 'string' ? stream : stream(result));
    return result;
  }
}
