import type { Migration } from 'kysely';
import * as eventLog from './2026112401_event_log';
import * as readModels from './2026112402_read_models';
import * as keyLifecycle from './2026112403_key_lifecycle';
import * as idempotencyRecords from './2026112404_idempotency_records';
import * as eventChain from './2026112410_event_chain';
import * as usageQueries from './2026112406_usage_queries';
import * as keyLimits from './2026112411_key_limits';
import * as usageCleanedFields from './2026112420_usage_cleaned_fields';
import * as keyWebhookUrls from './2026112421_key_webhook_urls';
import * as usageCorrections from './2026112422_usage_corrections';
import * as usageTraceId from './2026120401_usage_trace_id';
import * as messagesUsage from './2026120402_messages_usage';
import * as providerResponsesFlag from './2026120411_provider_responses_flag';
import * as storedResponses from './2026120412_stored_responses';

/**
 * Every migration, keyed by its timestamped name (yyyymmddNN_name). Kysely applies them in name
 * order and refuses one named before an already-applied one, so add new entries with a later name.
 */
export const migrations: Record<string, Migration> = {
  '2026112401_event_log': eventLog,
  '2026112402_read_models': readModels,
  '2026112403_key_lifecycle': keyLifecycle,
  '2026112404_idempotency_records': idempotencyRecords,
  '2026112410_event_chain': eventChain,
  '2026112406_usage_queries': usageQueries,
  '2026112411_key_limits': keyLimits,
  '2026112420_usage_cleaned_fields': usageCleanedFields,
  '2026112421_key_webhook_urls': keyWebhookUrls,
  '2026112422_usage_corrections': usageCorrections,
  '2026120401_usage_trace_id': usageTraceId,
  '2026120402_messages_usage': messagesUsage,
  '2026120411_provider_responses_flag': providerResponsesFlag,
  '2026120412_stored_responses': storedResponses,
};
