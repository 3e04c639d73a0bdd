import type { OpenAiError } from './errors';
import type { ModelPrice } from './pricing';

/** Every NATS reply is an envelope, so an error crosses the bus with its stable code. */
export type RpcReply<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } };

export type Operation = 'chat' | 'completions' | 'embeddings';
export const OPERATIONS: readonly Operation[] = ['chat', 'completions', 'embeddings'];

export interface AuthorizeRequest {
  /** SHA-256 of the virtual key; the key itself never travels on the bus. */
  keyHash: string;
  model: string;
  operation: Operation;
  clientIp: string;
  requestId: string;
}

export interface Route {
  providerId: string;
  providerType: ProviderType;
  baseUrl: string | null;
  upstreamModel: string;
  /**
   * The provider secret version policy has applied (absent for a provider without a secret). A
   * gateway whose cached credential is older refreshes before calling, so a rotation is in force
   * on the first call after the admin API answered.
   */
  secretVersion?: number;
  /** The model's catalog price, so the gateway can report the call's cost (`x-sluice-cost-usd`). */
  price?: ModelPrice;
}

export type AuthorizeReply =
  | { allow: true; keyId: string; route: Route }
  | { allow: false; keyId?: string; error: OpenAiError };

export type ProviderType = 'openai' | 'anthropic' | 'azure-openai' | 'openai-compatible' | 'mock';
export const PROVIDER_TYPES: readonly ProviderType[] = ['openai', 'anthropic', 'azure-openai', 'openai-compatible', 'mock'];

/** A decrypted provider credential, sent only to the gateway, which keeps it in memory. */
export interface ProviderCredential {
  providerId: string;
  type: ProviderType;
  baseUrl: string | null;
  apiKey: string | null;
  secretVersion: number;
}

export interface Actor {
  actor: string;
  requestId?: string;
  traceparent?: string;
  /** Where the admin call came from: the socket peer's address. */
  clientIp?: string;
}

export interface ListModelsRequest {
  keyHash: string;
  clientIp: string;
  requestId: string;
}

export type ListModelsReply =
  | { allow: true; keyId: string; models: { id: string; created: number; ownedBy: string }[] }
  | { allow: false; error: OpenAiError };

/** Request for credentials: all of them when `providerIds` is absent. */
export interface CredentialsRequest {
  providerIds?: string[];
}

/** Wait until policy has applied `streamId` up to `version` (at most `timeoutMs`). */
export interface SyncRequest {
  streamId: string;
  version: number;
  timeoutMs?: number;
}
