import type { ColumnType, Generated, GeneratedAlways } from 'kysely';
import type {
  AdminTokensViewTable,
  IdempotencyRecordsTable,
  KeySpendTable,
  KeysViewTable,
  KeyWebhookUrlsTable,
  ModelsViewTable,
  ProviderSecretsTable,
  ProvidersViewTable,
  StoredResponsesTable,
  UsageCallsView,
  UsageCorrectionsTable,
  UsageLedgerView,
  UsageRecordsTable,
} from './read-model-schema';

export type {
  AdminTokensViewTable,
  IdempotencyRecordsTable,
  KeySpendTable,
  KeysViewTable,
  KeyWebhookUrlsTable,
  ModelsViewTable,
  ProviderSecretsTable,
  ProvidersViewTable,
  StoredResponsesTable,
  UsageCallsView,
  UsageCorrectionsTable,
  UsageLedgerView,
  UsageRecordsTable,
};

/**
 * Row types of every table, as Kysely sees them (each has one owning service: table-owners.ts). int8 and xid8 columns
 * are strings (see createDb).
 * jsonb columns are written as JSON text and read back parsed.
 */
export interface Database {
  events: EventsTable;
  checkpoints: CheckpointsTable;
  keys_view: KeysViewTable;
  providers_view: ProvidersViewTable;
  provider_secrets: ProviderSecretsTable;
  key_webhook_urls: KeyWebhookUrlsTable;
  models_view: ModelsViewTable;
  usage_records: UsageRecordsTable;
  usage_corrections: UsageCorrectionsTable;
  /** A view: each call as it finally stands (its correction over its record). */
  usage_calls: UsageCallsView;
  /** A view: metering's contract for policy's counter restoration. */
  usage_ledger: UsageLedgerView;
  key_spend: KeySpendTable;
  admin_tokens_view: AdminTokensViewTable;
  idempotency_records: IdempotencyRecordsTable;
  event_chain: EventChainTable;
  stored_responses: StoredResponsesTable;
}

/** Append-only: the database refuses UPDATE, DELETE and TRUNCATE. */
export interface EventsTable {
  global_position: GeneratedAlways<string>;
  transaction_id: ColumnType<string, never, never>;
  stream_id: ColumnType<string, string, never>;
  stream_type: ColumnType<string, string, never>;
  stream_version: ColumnType<number, number, never>;
  event_id: ColumnType<string, string, never>;
  event_type: ColumnType<string, string, never>;
  schema_version: ColumnType<number, number, never>;
  data: ColumnType<unknown, string, never>;
  metadata: ColumnType<Record<string, unknown>, string, never>;
  recorded_at: ColumnType<Date, never, never>;
}

/** Where a relay or projection has got to in the global log. */
export interface CheckpointsTable {
  name: string;
  transaction_id: string;
  global_position: string;
  updated_at: Generated<Date>;
}

/** The hash chain over the log, in sealing order (see docs/audit.md). Append-only like `events`. */
export interface EventChainTable {
  seq: ColumnType<string, string, never>;
  global_position: ColumnType<string, string, never>;
  event_id: ColumnType<string, string, never>;
  prev_hash: ColumnType<string, string, never>;
  hash: ColumnType<string, string, never>;
  sealed_at: Generated<Date>;
}
