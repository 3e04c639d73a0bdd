import type { OwnedMigrations } from '@sluice/db';
import * as eventLog from './2026112401_event_log';
import * as readModels from './2026112402_read_models';
import * as keyLifecycle from './2026112403_key_lifecycle';
import * as idempotencyRecords from './2026112404_idempotency_records';
import * as eventChain from './2026112410_event_chain';
import * as keyLimits from './2026112411_key_limits';
import * as keyWebhookUrls from './2026112421_key_webhook_urls';
import * as messagesUsage from './2026120402_messages_usage';
import * as providerResponsesFlag from './2026120411_provider_responses_flag';

/**
 * Key-registry's tables: the event log, its read models and its vaults (docs/architecture.md#who-owns-which-table).
 * A name shared with metering's list is the half of a migration both once ran as one, before each service owned its tables.
 */
export const keyRegistryMigrations: OwnedMigrations = {
  owner: 'key-registry',
  migrations: {
    '2026112401_event_log': eventLog,
    '2026112402_read_models': readModels,
    '2026112403_key_lifecycle': keyLifecycle,
    '2026112404_idempotency_records': idempotencyRecords,
    '2026112410_event_chain': eventChain,
    '2026112411_key_limits': keyLimits,
    '2026112421_key_webhook_urls': keyWebhookUrls,
    '2026120402_messages_usage': messagesUsage,
    '2026120411_provider_responses_flag': providerResponsesFlag,
  },
};
