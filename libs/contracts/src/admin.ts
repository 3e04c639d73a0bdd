import { z } from 'zod';
import { OPERATIONS, PROVIDER_TYPES } from './rpc';

/**
 * Admin API request bodies: one schema per contract, feeding types, validation and the OpenAPI
 * document. Objects are strict: a field Sluice does not (yet) apply is refused, never ignored.
 */
const name = z.string().trim().min(1).max(128);

export const CreateKeyBody = z.strictObject({
  name,
  description: z.string().max(1024).optional(),
  models: z.array(z.string().min(1).max(256)).max(256).optional(),
  operations: z.array(z.enum(OPERATIONS as [string, ...string[]])).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type CreateKeyBody = z.infer<typeof CreateKeyBody>;

export const CreateProviderBody = z
  .strictObject({
    name,
    type: z.enum(PROVIDER_TYPES as [string, ...string[]]),
    apiKey: z.string().min(1).max(4096).optional(),
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  })
  .refine((p) => p.type === 'mock' || p.apiKey !== undefined, { message: 'apiKey is required', path: ['apiKey'] })
  .refine((p) => p.type !== 'openai-compatible' || p.baseUrl !== undefined, { message: 'baseUrl is required for openai-compatible', path: ['baseUrl'] });
export type CreateProviderBody = z.infer<typeof CreateProviderBody>;

export const CreateModelBody = z.strictObject({
  name: z.string().trim().min(1).max(256),
  providerId: z.string().min(1),
  upstreamModel: z.string().min(1).max(256),
  inputUsdPerMTok: z.number().nonnegative(),
  outputUsdPerMTok: z.number().nonnegative(),
  cachedInputUsdPerMTok: z.number().nonnegative().optional(),
  maxOutputTokens: z.number().int().positive().optional(),
});
export type CreateModelBody = z.infer<typeof CreateModelBody>;

export const ListKeysQuery = z.object({
  status: z.enum(['active', 'disabled', 'expired', 'revoked']).optional(),
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
  rateLimits: null;
  budget: null;
  ipAllowlist: null;
  providerIds: null;
  expiresAt: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  revokedAt: string | null;
  usage: { requests: number; inputTokens: number; outputTokens: number; spendUsd: number };
}

export interface ProviderView {
  id: string;
  name: string;
  type: string;
  baseUrl: string | null;
  apiKeyHint: string | null;
  createdAt: string;
}

export interface ModelView {
  name: string;
  providerId: string;
  upstreamModel: string;
  inputUsdPerMTok: number;
  outputUsdPerMTok: number;
  cachedInputUsdPerMTok: number | null;
  maxOutputTokens: number | null;
  createdAt: string;
}
