import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** jsonb written as JSON text, read back parsed. */
type Json<T> = ColumnType<T, string, string>;
/** numeric and int8 come back from pg as strings (exact); written as numbers or strings. */
type Decimal = ColumnType<string, number | string, number | string>;

/**
 * The shapes of libs/contracts' RateLimits and BudgetSettings, as keys_view stores them (this lib imports no app code).
 */
export interface StoredRateLimits {
  requestsPerMinute?: number;
  requestsPerHour?: number;
  requestsPerDay?: number;
  tokensPerMinute?: number;
  tokenKinds?: ('input' | 'output')[];
  maxParallelRequests?: number;
}
export interface StoredBudget {
  maxUsd: number;
  period: string | null;
  alertThresholds: number[];
  /** The webhook URL itself is sealed in key_webhook_urls (key-registry's vault). */
  webhookUrlHint: string | null;
}

export interface KeysViewTable {
  id: string;
  name: string;
  description: string | null;
  status: string;
  key_hash: string;
  key_hint: string;
  models: Json<string[] | null> | null;
  operations: Json<string[] | null> | null;
  expires_at: Timestamp | null;
  metadata: Json<Record<string, unknown>>;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
  version: number;
  ip_allowlist: Json<string[] | null> | null;
  provider_ids: Json<string[] | null> | null;
  previous_key_hash: string | null;
  previous_key_expires_at: Timestamp | null;
  updated_at: Timestamp | null;
  rate_limits: Json<StoredRateLimits | null> | null;
  budget: Json<StoredBudget | null> | null;
  /**
   * Start of the current budget period: the last KeyBudgetReset's, else the key's creation (projections always set it).
   */
  budget_period_start: Timestamp | null;
  /** Threshold percents reached in the current budget period, in the order reached; `[]` by default. */
  budget_thresholds_reached: ColumnType<number[], string | undefined, string>;
}

export interface ProvidersViewTable {
  id: string;
  name: string;
  type: string;
  base_url: string | null;
  api_key_hint: string | null;
  secret_version: number;
  supports_responses: Generated<boolean>;
  created_at: Timestamp;
  removed_at: Timestamp | null;
}

/** Metering's store of `/v1/responses` ids (see the stored_responses migration). */
export interface StoredResponsesTable {
  id: string;
  key_id: string;
  call_id: string;
  model: string;
  mode: 'native' | 'bridged';
  route: ColumnType<Record<string, unknown>, string, never>;
  previous_response_id: string | null;
  context_tokens: number | null;
  response: ColumnType<Record<string, unknown> | null, string | null, null>;
  input: ColumnType<unknown[] | null, string | null, null>;
  created_at: Timestamp;
  expires_at: Timestamp;
  deleted_at: Timestamp | null;
}

export interface ProviderSecretsTable {
  provider_id: string;
  version: number;
  ciphertext: Buffer;
  wrapped_key: Buffer;
  kek_version: number;
  created_at: Generated<Date>;
}

/** A key's sealed budget webhook URL (key-registry's vault, like provider_secrets). */
export interface KeyWebhookUrlsTable {
  key_id: string;
  ciphertext: Buffer;
  wrapped_key: Buffer;
  kek_version: number;
  updated_at: Generated<Date>;
}

export interface ModelsViewTable {
  name: string;
  provider_id: string;
  upstream_model: string;
  input_usd_per_mtok: number;
  output_usd_per_mtok: number;
  cached_input_usd_per_mtok: number | null;
  cache_write_usd_per_mtok: number | null;
  max_output_tokens: number | null;
  created_at: Timestamp;
}

export interface UsageRecordsTable {
  request_id: string;
  key_id: string;
  model: string;
  upstream_model: string;
  provider_id: string;
  operation: string;
  stream: boolean;
  status: number;
  input_tokens: number;
  cached_input_tokens: number;
  /** Part of input_tokens: written to the provider's prompt cache. */
  cache_write_input_tokens: Generated<number>;
  output_tokens: number;
  reasoning_tokens: number;
  cost_usd: Decimal;
  estimated: boolean;
  latency_ms: number;
  ttfb_ms: number | null;
  client_ip: string;
  started_at: Timestamp;
  recorded_at: Generated<Date>;
  client_request_id: string | null;
  caller_user: string | null;
  caller_metadata: ColumnType<Record<string, string> | null, string | null, string | null>;
  /**
   * Caller fields stored cleaned (NUL and unpaired surrogates replaced by U+FFFD): `user`, `metadata`,
   * `clientRequestId`.
   */
  cleaned_fields: ColumnType<string[], string[] | undefined, string[]>;
  /** The call's W3C trace id, when it was traced. */
  trace_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Written by policy's sweep: charged the call's worst case; a later real report corrects it. */
  swept: Generated<boolean>;
  /** The agent session the caller named (Claude Code's `X-Claude-Code-Session-Id`). */
  session_id: string | null;
}

/** What a call's report says: on its record, and on the correction of a swept record. */
type UsageReportColumns =
  | 'request_id'
  | 'key_id'
  | 'stream'
  | 'status'
  | 'input_tokens'
  | 'cached_input_tokens'
  | 'cache_write_input_tokens'
  | 'output_tokens'
  | 'reasoning_tokens'
  | 'cost_usd'
  | 'estimated'
  | 'latency_ms'
  | 'ttfb_ms'
  | 'started_at'
  | 'client_request_id'
  | 'caller_user'
  | 'caller_metadata'
  | 'cleaned_fields'
  | 'session_id'
  | 'recorded_at';

/** The real usage of a swept call, appended when its report arrived after the sweep (one per call). */
export type UsageCorrectionsTable = Pick<UsageRecordsTable, UsageReportColumns>;

/** Each call as it finally stands (a view): its record, or its correction where it has one. */
export interface UsageCallsView extends Omit<UsageRecordsTable, 'swept' | 'cache_write_input_tokens'> {
  cache_write_input_tokens: number;
  swept: boolean;
  /** What the sweep had charged, when a real report corrected it; else null. */
  swept_cost_usd: Decimal | null;
}

/** Metering's contract for policy (a view, see its migration): each recorded call's charge, and its correction's. */
export interface UsageLedgerView {
  request_id: string;
  key_id: string;
  swept: boolean;
  cost_usd: Decimal;
  started_at: Timestamp;
  latency_ms: number;
  recorded_at: Timestamp;
  /** The transaction that stored the record (xid, as text). */
  row_xmin: string;
  corrected: boolean;
  corrected_cost_usd: Decimal | null;
  corrected_started_at: Timestamp | null;
  corrected_latency_ms: number | null;
  corrected_recorded_at: Timestamp | null;
  corrected_row_xmin: string | null;
}

export interface KeySpendTable {
  key_id: string;
  requests: Decimal;
  input_tokens: Decimal;
  output_tokens: Decimal;
  spend_usd: Decimal;
  updated_at: Generated<Date>;
}

export interface AdminTokensViewTable {
  id: string;
  name: string;
  role: string;
  token_hash: string;
  token_hint: string;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

/** Sealed results of commands sent with an Idempotency-Key (see the idempotency_records migration). */
export interface IdempotencyRecordsTable {
  actor: string;
  idempotency_key: string;
  operation: string;
  fingerprint: string;
  ciphertext: Buffer;
  wrapped_key: Buffer;
  kek_version: number;
  created_at: Timestamp;
  expires_at: Timestamp;
}
