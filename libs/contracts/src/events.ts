import { z } from 'zod';

/**
 * Events of the log: past tense, versioned, `data` and `metadata` kept apart. Secrets never enter
 * an event: virtual keys appear only as hashes, provider keys only as a vault reference and a hint.
 */
export const EventMetadata = z.object({
  actor: z.string(),
  requestId: z.string().optional(),
  traceparent: z.string().optional(),
  occurredAt: z.string(),
});
export type EventMetadata = z.infer<typeof EventMetadata>;

export const KeyCreatedV1 = z.object({
  keyId: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  keyHash: z.string(),
  keyHint: z.string(),
  models: z.array(z.string()).nullable(),
  operations: z.array(z.string()).nullable(),
  expiresAt: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export const KeyRevokedV1 = z.object({ keyId: z.string(), revokedAt: z.string() });

export const ProviderAddedV1 = z.object({
  providerId: z.string(),
  name: z.string(),
  type: z.string(),
  baseUrl: z.string().nullable(),
  apiKeyHint: z.string().nullable(),
  secretVersion: z.number().int(),
  createdAt: z.string(),
});

export const ModelAddedV1 = z.object({
  name: z.string(),
  providerId: z.string(),
  upstreamModel: z.string(),
  inputUsdPerMTok: z.number(),
  outputUsdPerMTok: z.number(),
  cachedInputUsdPerMTok: z.number().nullable(),
  maxOutputTokens: z.number().int().nullable(),
  createdAt: z.string(),
});
export const ModelRemovedV1 = z.object({ name: z.string(), removedAt: z.string() });

export const EventSchemas = {
  KeyCreated: { context: 'keys', version: 1, schema: KeyCreatedV1 },
  KeyRevoked: { context: 'keys', version: 1, schema: KeyRevokedV1 },
  ProviderAdded: { context: 'providers', version: 1, schema: ProviderAddedV1 },
  ModelAdded: { context: 'models', version: 1, schema: ModelAddedV1 },
  ModelRemoved: { context: 'models', version: 1, schema: ModelRemovedV1 },
} as const;
export type EventType = keyof typeof EventSchemas;

export type SluiceEvent =
  | { type: 'KeyCreated'; data: z.infer<typeof KeyCreatedV1> }
  | { type: 'KeyRevoked'; data: z.infer<typeof KeyRevokedV1> }
  | { type: 'ProviderAdded'; data: z.infer<typeof ProviderAddedV1> }
  | { type: 'ModelAdded'; data: z.infer<typeof ModelAddedV1> }
  | { type: 'ModelRemoved'; data: z.infer<typeof ModelRemovedV1> };

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

/** Parses a published event into the typed union; unknown types (from newer writers) give null. */
export function parseEvent(event: Pick<PublishedEvent, 'type' | 'data'>): SluiceEvent | null {
  const entry = (EventSchemas as Record<string, { schema: z.ZodTypeAny }>)[event.type];
  if (!entry) return null;
  return { type: event.type, data: entry.schema.parse(event.data) } as SluiceEvent;
}

export const contextOf = (type: string): string =>
  (EventSchemas as Record<string, { context: string }>)[type]?.context ?? 'misc';
