import { z } from 'zod';
import { isCidr } from './cidr';
import { isWholeNanos, MAX_PRICE_USD_PER_MTOK } from './money';
import { BudgetSchema, RateLimitsSchema, type BudgetState, type RateLimitState, type RateLimits } from './limits';
import { OPERATIONS, PROVIDER_TYPES } from './rpc';

/**
 * Admin API request bodies: one schema per contract, feeding types, validation and the OpenAPI
 * document. Objects are strict: a field Sluice does not (yet) apply is refused, never ignored.
 */
const name = z.string().trim().min(1).max(128);

const keyFields = {
  description: z.string().max(1024),
  models: z.array(z.string().min(1).max(256)).max(256),
  operations: z.array(z.enum(OPERATIONS as [string, ...string[]])),
  ipAllowlist: z
    .array(z.string().refine(isCidr, { message: 'must be an IPv4 or IPv6 address or CIDR range' }))
    .max(256),
  providerIds: z.array(z.string().min(1)).max(64),
  expiresAt: z.iso.datetime({ offset: true }),
  metadata: z.record(z.string(), z.unknown()),
  rateLimits: RateLimitsSchema,
  budget: BudgetSchema,
};

export const CreateKeyBody = z.strictObject({
  name,
  description: keyFields.description.optional(),
  models: keyFields.models.optional(),
  operations: keyFields.operations.optional(),
  ipAllowlist: keyFields.ipAllowlist.optional(),
  providerIds: keyFields.providerIds.optional(),
  expiresAt: keyFields.expiresAt.optional(),
  metadata: keyFields.metadata.optional(),
  rateLimits: keyFields.rateLimits.optional(),
  budget: keyFields.budget.optional(),
});
export type CreateKeyBody = z.infer<typeof CreateKeyBody>;

/** PATCH: any field of create; `null` clears a list (back to "all") or the expiry. */
export const UpdateKeyBody = z
  .strictObject({
    name: name.optional(),
    description: keyFields.description.nullable().optional(),
    models: keyFields.models.nullable().optional(),
    operations: keyFields.operations.nullable().optional(),
    ipAllowlist: keyFields.ipAllowlist.nullable().optional(),
    providerIds: keyFields.providerIds.nullable().optional(),
    expiresAt: keyFields.expiresAt.nullable().optional(),
    metadata: keyFields.metadata.optional(),
    /** Replaces all of the key's rate limits; null removes them. */
    rateLimits: keyFields.rateLimits.nullable().optional(),
    /** Replaces the budget; null removes it. */
    budget: keyFields.budget.nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'nothing to change' });
export type UpdateKeyBody = z.infer<typeof UpdateKeyBody>;

/** The old secret keeps working for `gracePeriodSeconds` (at most 30 days), then stops by itself. */
export const RegenerateKeyBody = z.strictObject({
  gracePeriodSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 24 * 3600)
    .optional(),
});
export type RegenerateKeyBody = z.infer<typeof RegenerateKeyBody>;

/**
 * A dry run of a call with a key: what the gateway would see of it. The prompt is given as
 * `inputTokens` or as the call's own `messages` (chat), `prompt` (completions) or `input`
 * (embeddings, responses), from which the tokens are estimated as the gateway estimates them.
 */
export const SimulateKeyBody = z
  .strictObject({
    model: z.string().min(1).max(256),
    operation: z.enum(OPERATIONS as [string, ...string[]]).default('chat'),
    clientIp: z.union([z.ipv4(), z.ipv6()]).optional(),
    inputTokens: z.number().int().nonnegative().optional(),
    messages: z.array(z.unknown()).max(10_000).optional(),
    prompt: z.union([z.string(), z.array(z.unknown())]).optional(),
    input: z.union([z.string(), z.array(z.unknown())]).optional(),
    /**
     * The call's `max_tokens` / `max_completion_tokens` (Responses: `max_output_tokens`); absent: the model's cap or
     * the default reservation.
     */
    maxTokens: z.number().int().positive().optional(),
  })
  .refine(
    (b) =>
      ['inputTokens', 'messages', 'prompt', 'input'].filter((f) => b[f as keyof typeof b] !== undefined).length <= 1,
    {
      message: 'give the prompt once: inputTokens, messages, prompt or input',
      path: ['inputTokens'],
    },
  );
export type SimulateKeyBody = z.infer<typeof SimulateKeyBody>;

/** The `Idempotency-Key` header: a retry with the same value replays the first result (24 h). */
export const IdempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without spaces' });

/**
 * A provider key travels in an HTTP header (`Authorization`, `x-api-key`, `api-key`), which carries
 * only printable ASCII: a key with anything else could be stored but never sent.
 */
const providerApiKey = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^[\x21-\x7e]+$/, {
    message:
      'must be printable ASCII without spaces or line breaks: it is sent in an HTTP header, which cannot carry other characters (is it a placeholder?)',
  });

export const SUPPORTS_RESPONSES_RULE =
  'supportsResponses is set only on openai-compatible providers: openai and azure-openai always serve the Responses API natively, anthropic and mock never do (Sluice bridges it)';

/**
 * Whether `/v1/responses` goes to the provider natively: by its type, or by its flag for an openai-compatible server.
 */
export const servesResponses = (type: string, flag: boolean | undefined): boolean =>
  type === 'openai' || type === 'azure-openai' || (type === 'openai-compatible' && flag === true);

export const CreateProviderBody = z
  .strictObject({
    name,
    type: z.enum(PROVIDER_TYPES as [string, ...string[]]),
    apiKey: providerApiKey.optional(),
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /**
     * openai-compatible only: the server has OpenAI's Responses API (`/v1/responses`), so Sluice forwards it natively
     * instead of bridging it to chat.
     */
    supportsResponses: z.boolean().optional(),
  })
  .refine((p) => p.type === 'mock' || p.apiKey !== undefined, { message: 'apiKey is required', path: ['apiKey'] })
  .refine((p) => p.supportsResponses === undefined || p.type === 'openai-compatible', {
    message: SUPPORTS_RESPONSES_RULE,
    path: ['supportsResponses'],
  })
  .refine((p) => p.type !== 'openai-compatible' || p.baseUrl !== undefined, {
    message: 'baseUrl is required for openai-compatible',
    path: ['baseUrl'],
  })
  .refine((p) => p.type !== 'azure-openai' || p.baseUrl !== undefined, {
    message: 'baseUrl is required for azure-openai (https://<resource>.openai.azure.com)',
    path: ['baseUrl'],
  });
export type CreateProviderBody = z.infer<typeof CreateProviderBody>;

export const UpdateProviderBody = z
  .strictObject({
    name: name.optional(),
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .nullable()
      .optional(),
    supportsResponses: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'nothing to change' });
export type UpdateProviderBody = z.infer<typeof UpdateProviderBody>;

export const RotateProviderBody = z.strictObject({ apiKey: providerApiKey });
export type RotateProviderBody = z.infer<typeof RotateProviderBody>;

export const ADMIN_ROLES = ['owner', 'operator', 'auditor'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];
export const CreateAdminTokenBody = z.strictObject({ name, role: z.enum(ADMIN_ROLES) });
export type CreateAdminTokenBody = z.infer<typeof CreateAdminTokenBody>;

/** A price per million tokens, counted exactly in nano-dollars: at most nine decimals and $100,000. */
const usdPerMTok = z
  .number()
  .nonnegative()
  .max(MAX_PRICE_USD_PER_MTOK)
  .refine(isWholeNanos, { message: 'must have at most 9 decimal places (a nano-dollar per million tokens)' });

/**
 * A `*` may only end a catalog name (a family entry: `claude-haiku-4-5*` serves `claude-haiku-4-5-20251001`) and its
 * upstream model.
 */
const TRAILING_STAR_ONLY = /^[^*]*\*?$/;

export const CreateModelBody = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(256)
    .regex(TRAILING_STAR_ONLY, { message: 'a * may only be the last character (a family entry)' }),
  providerId: z.string().min(1),
  /** With a trailing `*` (family entries only): what the name's `*` matched replaces it. */
  upstreamModel: z
    .string()
    .min(1)
    .max(256)
    .regex(TRAILING_STAR_ONLY, { message: 'a * may only be the last character' }),
  inputUsdPerMTok: usdPerMTok,
  outputUsdPerMTok: usdPerMTok,
  cachedInputUsdPerMTok: usdPerMTok.optional(),
  /** Prompt tokens written to the provider's cache (Anthropic: 1.25 × input for 5 minutes); absent: the input price. */
  cacheWriteUsdPerMTok: usdPerMTok.optional(),
  maxOutputTokens: z.number().int().positive().optional(),
});
export type CreateModelBody = z.infer<typeof CreateModelBody>;

/**
 * `?wait=<seconds>` on an admin write (default 2) and on the change status (default 0): how long to
 * wait for policy to enforce the change before answering that it is still pending.
 */
export const MAX_POLICY_WAIT_SECONDS = 30;
export const policyWaitQuery = (defaultSeconds: number) =>
  z.object({ wait: z.coerce.number().min(0).max(MAX_POLICY_WAIT_SECONDS).default(defaultSeconds) });

/** What a write that waits on policy answers in `x-sluice-change-status`, and `GET /changes/{change}` in `status`. */
export type ChangeStatus = 'applied' | 'pending';

export const ListKeysQuery = z.object({
  status: z.enum(['active', 'disabled', 'expired', 'revoked']).optional(),
  /** A part of the key's name (any case), its id, or a part of its hint; taken literally. */
  q: z.string().trim().min(1).max(128).optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** The key object as the admin API returns it. */
export interface KeyView {
  id: string;
  name: string;
  description: string | null;
  status: 'active' | 'disabled' | 'expired' | 'revoked';
  keyHint: string;
  models: string[] | null;
  operations: string[] | null;
  rateLimits: RateLimits | null;
  /** The budget's settings and, when policy answered, its live state in the current period. */
  budget: (Partial<BudgetState> & Pick<BudgetState, 'maxUsd' | 'period' | 'alertThresholds' | 'webhookUrlHint'>) | null;
  /** The rate-limit windows' live state (absent when policy did not answer). */
  rateLimitState?: RateLimitState;
  ipAllowlist: string[] | null;
  providerIds: string[] | null;
  /** While a regenerated key's previous secret still works: until when. */
  previousKeyExpiresAt: string | null;
  expiresAt: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  revokedAt: string | null;
  /** When the key's latest recorded call started; null before its first. */
  lastUsedAt: string | null;
  usage: { requests: number; inputTokens: number; outputTokens: number; spendUsd: number };
}

export interface ProviderView {
  id: string;
  name: string;
  type: string;
  baseUrl: string | null;
  apiKeyHint: string | null;
  /** `/v1/responses` is forwarded to it natively (else bridged to chat completions). */
  supportsResponses: boolean;
  createdAt: string;
}

export interface ModelView {
  name: string;
  providerId: string;
  upstreamModel: string;
  inputUsdPerMTok: number;
  outputUsdPerMTok: number;
  cachedInputUsdPerMTok: number | null;
  cacheWriteUsdPerMTok: number | null;
  maxOutputTokens: number | null;
  createdAt: string;
}
