import type { Database } from './schema';

export type ServiceName = 'gateway' | 'policy' | 'key-registry' | 'metering' | 'admin-api';

export interface Ownership {
  /**
   * The only service that migrates and writes the relation (its migrations live in services/<owner>/src/db/migrations).
   */
  owner: ServiceName;
  /** Who else reads it, read-only, and through which contract. A relation no one else reads is the owner's alone. */
  readers: Partial<Record<ServiceName, string>>;
}

/**
 * Every table and view, its owner, and who else may read it (docs/architecture.md#who-owns-which-table).
 * table-owners.spec.ts checks the services' source against it; `satisfies` keeps it in step with the schema.
 */
export const TABLE_OWNERS = {
  events: {
    owner: 'key-registry',
    readers: {
      policy:
        'the event log, read through libs/event-store (readAll, readStream); event shapes in libs/contracts, upcast on read',
      'admin-api':
        "the event log: audit queries and a change's confirmation (the columns docs/architecture.md#the-event-log lists)",
    },
  },
  event_chain: {
    owner: 'key-registry',
    readers: { 'admin-api': 'the audit hash chain, verified through libs/event-store (verifyChain)' },
  },
  checkpoints: {
    owner: 'key-registry',
    readers: { 'admin-api': "the relay's checkpoint, for the pipeline lag (libs/event-store loadCheckpoint)" },
  },
  keys_view: { owner: 'key-registry', readers: { 'admin-api': 'the keys read model: the key object' } },
  providers_view: { owner: 'key-registry', readers: { 'admin-api': 'the providers read model: the provider object' } },
  models_view: { owner: 'key-registry', readers: { 'admin-api': 'the catalog read model: the model object' } },
  admin_tokens_view: {
    owner: 'key-registry',
    readers: { 'admin-api': 'the admin tokens read model: who a bearer token is' },
  },
  provider_secrets: { owner: 'key-registry', readers: {} },
  key_webhook_urls: { owner: 'key-registry', readers: {} },
  idempotency_records: { owner: 'key-registry', readers: {} },
  usage_records: { owner: 'metering', readers: {} },
  usage_corrections: { owner: 'metering', readers: {} },
  usage_calls: {
    owner: 'metering',
    readers: { 'admin-api': "each call as it finally stands: the request log, usage queries, a key's last use" },
  },
  usage_ledger: {
    owner: 'metering',
    readers: {
      policy: 'what each recorded call charged and when: counters restored after a restart, late copies looked up',
    },
  },
  key_spend: { owner: 'metering', readers: { 'admin-api': "a key's usage totals on the key object" } },
  stored_responses: { owner: 'metering', readers: {} },
} as const satisfies Record<keyof Database, Ownership>;

export type Relation = keyof typeof TABLE_OWNERS;

/** The relations of other services that `service` reads (it waits for them at start). */
export function relationsReadBy(service: ServiceName): Relation[] {
  return (Object.keys(TABLE_OWNERS) as Relation[]).filter((name) => service in TABLE_OWNERS[name].readers);
}
