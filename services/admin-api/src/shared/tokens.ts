import type { Kysely } from 'kysely';
import type { Database } from '@sluice/db';
import type { NatsConnection } from '@sluice/messaging';
import { token } from '@sluice/service';

/** Nest injection tokens for the connections this process owns. */
export const DB = token<Kysely<Database>>('db');
export const NATS = token<NatsConnection>('nats');
