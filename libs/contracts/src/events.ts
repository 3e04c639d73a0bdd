import { z } from 'zod';
import { BudgetSettings, RateLimitsSchema, upcastBudget } from './limits';

/**
 * Events of the log: past tense, versioned, `data` and `metadata` kept apart. Secrets never enter
 * an event: virtual keys appear only as hashes, provider keys only as a vault reference and a hint.
 */
export const EventMetadata = z.object({
  actor: z.string(),
  requestId: z.string().optional(),
  traceparent: z.string().optional(),
  /** The admin caller's address (absent on events older than this field). */
  clientIp: z.string().optional(),
  occurredAt: z.string(),
});
export type EventMetadata = z.infer<typeof EventMetadata>;

/** The settings of a key that an admin sets at creation and changes with PATCH. */
export const KeySettingsShape = {
  name: z.string(),
  description: z.string().nullable(),
  models: z.array(z.string()).nullable(),
  operations: z.array(z.string()).nullable(),
  ipAllowlist: z.array(z.string()).nullable().default(null),
  providerIds: z.array(z.string()).nullable().default(null),
  expiresAt: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  rateLimits: RateLimitsSchema.nullable().default(null),
  budget: BudgetSettings.nullable().default(null),
};
export const KeySettings = z.object(KeySettingsShape);
export type KeySettings = z.infer<typeof KeySettings>;

export const KeyCreatedV1 = z.object({
  keyId: z.string(),
  keyHash: z.string(),
  keyHint: z.string(),
  createdAt: z.string(),
  ...KeySettingsShape,
});
/**
 * A change of some settings. No defaults here: zod fills a default even inside `.partial()`, which
 * would turn "ipAllowlist unchanged" into "ipAllowlist cleared".
 */
export const KeySettingsChange = z
  .object({
    ...KeySettingsShape,
    ipAllowlist: z.array(z.string()).nullable(),
    providerIds: z.array(z.string()).nullable(),
    rateLimits: RateLimitsSchema.nullable(),
    budget: BudgetSettings.nullable(),
  })
  .partial();
export type KeySettingsChange = z.infer<typeof KeySettingsChange>;
/** Only the settings that changed, before and after. */
export const KeyUpdatedV1 = z.object({
  keyId: z.string(),
  before: KeySettingsChange,
  after: KeySettingsChange,
  updatedAt: z.string(),
});
/** A new secret for the same key; the previous one keeps working until `previousKeyExpiresAt`. */
export const KeyRegeneratedV1 = z.object({
  keyId: z.string(),
  keyHash: z.string(),
  keyHint: z.string(),
  previousKeyHash: z.string(),
  previousKeyExpiresAt: z.string().nullable(),
  regeneratedAt: z.string(),
});
export const KeyDisabledV1 = z.object({ keyId: z.string(), disabledAt: z.string() });
export const KeyEnabledV1 = z.object({ keyId: z.string(), enabledAt: z.string() });
export const KeyRevokedV1 = z.object({ keyId: z.string(), revokedAt: z.string() });
/** A budget period ended and the next began: spend counts from zero again. */
export const KeyBudgetResetV1 = z.object({
  keyId: z.string(),
  previousPeriodStart: z.string(),
  periodStart: z.string(),
  resetsAt: z.string().nullable(),
  resetAt: z.string(),
});
/** Spend in the current period reached a soft threshold (percent of the budget); once per threshold and period. */
export const KeyBudgetThresholdReachedV1 = z.object({
  keyId: z.string(),
  thresholdPercent: z.number().int(),
  periodStart: z.string(),
  spentUsd: z.number(),
  maxUsd: z.number(),
  reachedAt: z.string(),
});

export const ProviderAddedV1 = z.object({
  providerId: z.string(),
  name: z.string(),
  type: z.string(),
  baseUrl: z.string().nullable(),
  apiKeyHint: z.string().nullable(),
  secretVersion: z.number().int(),
  /** An openai-compatible server that serves OpenAI's Responses API itself (absent on older events: false). */
  supportsResponses: z.boolean().optional(),
  createdAt: z.string(),
});

const ProviderChange = z
  .object({ name: z.string(), baseUrl: z.string().nullable(), supportsResponses: z.boolean() })
  .partial();
export const ProviderUpdatedV1 = z.object({
  providerId: z.string(),
  before: ProviderChange,
  after: ProviderChange,
  updatedAt: z.string(),
});
/** A new secret in the vault; virtual keys that use the provider are untouched. */
export const ProviderSecretRotatedV1 = z.object({
  providerId: z.string(),
  secretVersion: z.number().int(),
  apiKeyHint: z.string(),
  rotatedAt: z.string(),
});
/** The secret's data key was wrapped again under a newer key-encryption key (audit only). */
export const ProviderSecretRewrappedV1 = z.object({
  providerId: z.string(),
  secretVersion: z.number().int(),
  kekVersion: z.number().int(),
  rewrappedAt: z.string(),
});
export const ProviderRemovedV1 = z.object({ providerId: z.string(), removedAt: z.string() });

export const AdminTokenCreatedV1 = z.object({
  tokenId: z.string(),
  name: z.string(),
  role: z.enum(['owner', 'operator', 'auditor']),
  tokenHash: z.string(),
  tokenHint: z.string(),
  createdAt: z.string(),
});
export const AdminTokenRevokedV1 = z.object({ tokenId: z.string(), revokedAt: z.string() });
/** An admin call that was refused (wrong or missing token, or a role without the right). */
export const AdminAccessDeniedV1 = z.object({
  actor: z.string(),
  method: z.string(),
  path: z.string(),
  reason: z.string(),
  clientIp: z.string(),
  at: z.string(),
  /**
   * On a summary: this event stands for that many denials of the same actor and reason, within one
   * second of an event already recorded, that were not recorded one by one; the fields describe the last.
   */
  coalesced: z.number().int().positive().optional(),
});

export const ModelAddedV1 = z.object({
  name: z.string(),
  providerId: z.string(),
  upstreamModel: z.string(),
  inputUsdPerMTok: z.number(),
  outputUsdPerMTok: z.number(),
  cachedInputUsdPerMTok: z.number().nullable(),
  /** Added after version 1 was first written; an event without it has no cache-write price (input price). */
  cacheWriteUsdPerMTok: z.number().nullable().optional(),
  maxOutputTokens: z.number().int().nullable(),
  createdAt: z.string(),
});
export const ModelRemovedV1 = z.object({ name: z.string(), removedAt: z.string() });

export const EventSchemas = {
  // Version 2: the budget carries `webhookUrlHint`; version 1 carried `webhookUrl` itself (upcastEventData).
  KeyCreated: { context: 'keys', version: 2, schema: KeyCreatedV1 },
  KeyUpdated: { context: 'keys', version: 2, schema: KeyUpdatedV1 },
  KeyRegenerated: { context: 'keys', version: 1, schema: KeyRegeneratedV1 },
  KeyDisabled: { context: 'keys', version: 1, schema: KeyDisabledV1 },
  KeyEnabled: { context: 'keys', version: 1, schema: KeyEnabledV1 },
  KeyRevoked: { context: 'keys', version: 1, schema: KeyRevokedV1 },
  KeyBudgetReset: { context: 'keys', version: 1, schema: KeyBudgetResetV1 },
  KeyBudgetThresholdReached: { context: 'keys', version: 1, schema: KeyBudgetThresholdReachedV1 },
  ProviderAdded: { context: 'providers', version: 1, schema: ProviderAddedV1 },
  ProviderUpdated: { context: 'providers', version: 1, schema: ProviderUpdatedV1 },
  ProviderSecretRotated: { context: 'providers', version: 1, schema: ProviderSecretRotatedV1 },
  ProviderSecretRewrapped: { context: 'providers', version: 1, schema: ProviderSecretRewrappedV1 },
  ProviderRemoved: { context: 'providers', version: 1, schema: ProviderRemovedV1 },
  ModelAdded: { context: 'models', version: 1, schema: ModelAddedV1 },
  ModelRemoved: { context: 'models', version: 1, schema: ModelRemovedV1 },
  AdminTokenCreated: { context: 'admin', version: 1, schema: AdminTokenCreatedV1 },
  AdminTokenRevoked: { context: 'admin', version: 1, schema: AdminTokenRevokedV1 },
  AdminAccessDenied: { context: 'admin', version: 1, schema: AdminAccessDeniedV1 },
} as const;
export type EventType = keyof typeof EventSchemas;

/** Every event of the log, typed by its `type`. */
export type SluiceEvent = {
  [T in EventType]: { type: T; data: z.infer<(typeof EventSchemas)[T]['schema']> };
}[EventType];

/** What the relay publishes to JetStream for each committed event. */
export interface PublishedEvent {
  eventId: string;
  type: string;
  schemaVersion: number;
  streamId: string;
  streamType: string;
  streamVersion: number;
  globalPosition: string;
  data: unknown;
  metadata: EventMetadata;
  recordedAt: string;
}

/** The schema version writers give an event of this type today. */
export const schemaVersionOf = (type: string): number =>
  (EventSchemas as Record<string, { version: number }>)[type]?.version ?? 1;

/**
 * An event's data in its type's current shape (upcasters on read). Version 1 of KeyCreated and
 * KeyUpdated carried a budget's webhook URL in plain text; it is read as its hint, so the URL never
 * travels further than the row that holds it.
 */
export function upcastEventData(type: string, schemaVersion: number, data: unknown): unknown {
  if (schemaVersion >= 2 || !data || typeof data !== 'object') return data;
  if (type === 'KeyCreated') return 'budget' in data ? { ...data, budget: upcastBudget(data.budget) } : data;
  if (type === 'KeyUpdated') {
    const { before, after } = data as { before?: Record<string, unknown>; after?: Record<string, unknown> };
    const change = (side?: Record<string, unknown>) =>
      side && 'budget' in side ? { ...side, budget: upcastBudget(side.budget) } : side;
    return { ...data, before: change(before), after: change(after) };
  }
  return data;
}

/** The event in its type's current shape and schema version, as the relay publishes it. */
export function upcastEvent<E extends { type: string; schemaVersion: number; data: unknown }>(event: E): E {
  const current = schemaVersionOf(event.type);
  if (event.schemaVersion >= current) return event;
  return { ...event, schemaVersion: current, data: upcastEventData(event.type, event.schemaVersion, event.data) };
}

/**
 * For the audit trail: an event's data as stored (the hash chain covers it), unless an older
 * version wrote a secret into it — then its current shape, flagged `redacted`. The log itself is
 * append-only, so such a row keeps the secret; no reader passes it on.
 */
export function auditEventData(
  type: string,
  schemaVersion: number,
  data: unknown,
): { data: unknown; redacted: boolean } {
  const holdsWebhookUrl =
    schemaVersion < 2 &&
    (type === 'KeyCreated' || type === 'KeyUpdated') &&
    /"webhookUrl":"/.test(JSON.stringify(data));
  return holdsWebhookUrl
    ? { data: upcastEventData(type, schemaVersion, data), redacted: true }
    : { data, redacted: false };
}

/**
 * Parses an event into the typed union; unknown types (from newer writers) give null. Given its
 * schema version (an event read from the log or JetStream), an older shape is upcast first.
 */
export function parseEvent(
  event: Pick<PublishedEvent, 'type' | 'data'> & { schemaVersion?: number },
): SluiceEvent | null {
  const entry = (EventSchemas as Record<string, { schema: z.ZodTypeAny }>)[event.type];
  if (!entry) return null;
  const data =
    event.schemaVersion === undefined ? event.data : upcastEventData(event.type, event.schemaVersion, event.data);
  return { type: event.type, data: entry.schema.parse(data) } as SluiceEvent;
}

export const contextOf = (type: string): string =>
  (EventSchemas as Record<string, { context: string }>)[type]?.context ?? 'misc';
