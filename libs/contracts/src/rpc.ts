import type { OpenAiError } from './errors';
import type { KeyLimitState, TokenKind } from './limits';
import type { ImageTally } from './token-estimate/image-tokens';
import type { ModelPrice } from './pricing';

/** Every NATS reply is an envelope, so an error crosses the bus with its stable code. */
export type RpcReply<T> =
  | { ok: true; data: T }
  | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } };

/** What a key may be allowed: OpenAI's chat, completions, embeddings and Responses, and Anthropic's Messages API. */
export type Operation = 'chat' | 'completions' | 'embeddings' | 'messages' | 'responses';
export const OPERATIONS: readonly Operation[] = ['chat', 'completions', 'embeddings', 'messages', 'responses'];

export interface AuthorizeRequest {
  /** SHA-256 of the virtual key; the key itself never travels on the bus. */
  keyHash: string;
  model: string;
  operation: Operation;
  clientIp: string;
  requestId: string;
  /** The call's own id (its usage message's `requestId`): the reservation policy settles with that usage. */
  callId?: string;
  /** What the call may consume, for token limits and the budget reservation. */
  estimate?: CallEstimate;
  /**
   * A question about the key's permissions only (status, address, expiry, operation, model,
   * provider), for a request that bills nothing (Anthropic's `count_tokens`): no limit is checked,
   * nothing is counted or reserved, and no usage follows.
   */
  checkOnly?: boolean;
  /**
   * A lease's successor, asked for in the background by a call its gateway admitted under that lease
   * (`renews`: its id) when it was nearly spent or old: the call is counted in that lease, so policy
   * counts and reserves nothing for it, and answers with a new lease if it would grant one with a
   * call like it (`callId` names the request, not a call: the new lease's id is made from it).
   */
  renews?: string;
}

export interface CallEstimate {
  /** Prompt tokens, estimated from the body (about four characters a token): what tokens per minute count. */
  inputTokens: number;
  /**
   * At least what any provider can bill for the prompt, images aside (see promptTokens); older gateways send none:
   * `inputTokens`.
   */
  inputTokensBound?: number;
  /** The prompt's image parts, priced per upstream model (imageTokens). */
  images?: ImageTally;
  /**
   * `max_completion_tokens` / `max_tokens` from the body (Messages: its required `max_tokens`; Responses:
   * `max_output_tokens`); null when the caller set none.
   */
  maxOutputTokens: number | null;
  /** Completions the upstream generates and bills: chat's `n`, completions' `best_of` (else `n`); absent: 1. */
  choices?: number;
  /**
   * A bound on the tokens of the caller's Predicted Outputs `prediction`, per choice: the provider bills
   * the predicted tokens it rejects as output, beside what the output cap allows; absent: 0.
   */
  predictedOutputTokens?: number;
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
  /** The model's catalog price in force at admission: the gateway prices the call with it, once. */
  price?: ModelPrice;
  /** The model's maximum output tokens from the catalog (null: not set), bounding a crashed call's estimate. */
  maxOutputTokens?: number | null;
  /**
   * The output tokens per choice the call was reserved for: the client's cap, else the model's, else
   * Sluice's default. The gateway sends it upstream when the client set none, so the reservation
   * bounds what the upstream can generate.
   */
  outputCap?: number;
  /**
   * The provider serves OpenAI's Responses API itself (`openai`, `azure-openai`, and an
   * `openai-compatible` provider marked so), so `/v1/responses` is forwarded to it natively; absent
   * or false: Sluice bridges it to chat completions.
   */
  supportsResponses?: boolean;
}

/** `keyName` is the key's name as the admin set it, for the gateway's per-key metric labels. */
export type AuthorizeReply =
  | { allow: true; keyId: string; keyName?: string; route: Route; limits?: AllowedLimits; partition?: number }
  | {
      allow: false;
      keyId?: string;
      keyName?: string;
      error: OpenAiError;
      headers?: Record<string, string>;
      partition?: number;
    };

/** What an allowed call learns about the key's limits: response headers and its budget reservation. */
export interface AllowedLimits {
  /** `x-ratelimit-*` (and budget) headers, computed from the key's own limits at admission. */
  headers: Record<string, string>;
  /** Nano-dollars reserved for this call; null without a budget. */
  reservedNanos: number | null;
  /** The budget left after this call's reservation, in nano-dollars; null without a budget. */
  budgetRemainingNanos: number | null;
  /**
   * What policy holds for this call until its usage settles. The gateway keeps it while the call
   * is in flight and hands it back when a restarted policy asks (`Subjects.gatewayInFlight`), so
   * calls in flight across a policy restart keep their parallel slot and budget reservation.
   */
  reservation?: ReservationTicket;
  /**
   * The key is near a limit the call's settlement gives back (budget, tokens per minute, parallel
   * calls): the gateway has NATS confirm the settlement before the client has its answer, so the
   * client's next call, through any gateway, is decided after it.
   */
  confirmSettlement?: true;
  /**
   * Policy leases the gateway further calls of the same shape (key, model, operation, client
   * address): admitted locally, without a NATS round trip, while they fit (docs/limits.md#leases).
   */
  lease?: LeaseGrant;
  /** Set by the gateway on a call it admitted under a lease: its usage message names the lease. */
  leaseId?: string;
}

/** A reading of one limit at a lease's grant, for the headers of the calls spent from it. */
export interface LeaseReading {
  limit: number;
  /** What is left for the calls of the lease: after the granting call, before any of the lease's own. */
  remaining: number;
  resetsInMs: number;
}

/**
 * A slice of a key's limits that policy counted and reserved at grant, for one gateway to spend on
 * calls of the same shape: a lease is itself a reservation, so however it is spent nothing is
 * overspent. `null` where the key has no such limit (nothing to hold back).
 */
export interface LeaseGrant {
  leaseId: string;
  /** Spendable for this long from its arrival. */
  validMs: number;
  /** Calls it admits; each counted in the request windows at grant. */
  requests: number;
  /** Of them at once (held as parallel slots at grant). */
  slots: number | null;
  /** Tokens per minute held (each call's estimate + output cap, then its real count). */
  tokens: number | null;
  /** Which tokens count toward `tokens`. */
  tokenKinds: TokenKind[];
  /** Nano-dollars reserved of the budget (each call's worst case, then its real cost). */
  nanos: number | null;
  /** Policy holds counters for it: its usage names it and it is returned. False: a rules-only lease. */
  counted: boolean;
  /** For the calls' `x-ratelimit-*` and budget headers. */
  readings: { requests: LeaseReading | null; tokens: LeaseReading | null; budgetRemainingNanos: number | null };
}

/**
 * Gateway → every policy process (the owner acts): a lease the gateway no longer spends, once its
 * calls ended, with their usage messages (a batch settlement). Policy gives back the unused rest.
 */
export interface LeaseReturn {
  leaseId: string;
  keyId: string;
  usages: unknown[];
}

/** Gateway → policy: a call admitted under a lease has started. */
export interface LeasedCall {
  leaseId: string;
  ticket: ReservationTicket;
}

/** Policy → every gateway: stop spending the leases of a key (`keyId`) or every lease (`all`). */
export interface LeaseRevoke {
  keyId?: string;
  all?: true;
}

export interface ReservationTicket {
  callId: string;
  keyId: string;
  admittedAt: number;
  /** Counted toward tokens per minute at admission, replaced by the real count at settlement. */
  tokens: number;
  /** Nano-dollars held against the budget. */
  reservedNanos: number;
  /** The model's price at admission, for a sweep's charge. */
  price: ModelPrice;
  /** What a sweep charges when the call never reports back: the reserved worst case. */
  worstCase: { inputTokens: number; outputTokens: number };
  call: { model: string; upstreamModel: string; providerId: string; operation: string; clientIp: string };
}

/**
 * One of the replies a responder sends to a question whose answer may be larger than one NATS
 * message: the asker collects parts `1..parts` of every responder (`from`, one id per process).
 */
export interface ReplyPart<T> {
  from: string;
  part: number;
  parts: number;
  items: T[];
}

/** A gateway's answer to `Subjects.gatewayInFlight`: its reservations, in as many parts as needed. */
export type InFlightReply = ReplyPart<ReservationTicket>;

export type ProviderType = 'openai' | 'anthropic' | 'azure-openai' | 'openai-compatible' | 'mock';
export const PROVIDER_TYPES: readonly ProviderType[] = [
  'openai',
  'anthropic',
  'azure-openai',
  'openai-compatible',
  'mock',
];

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

/** The rules that depend on the key and the caller's address alone, checked before a large body is read. */
export interface CheckKeyRequest {
  keyHash: string;
  clientIp: string;
  requestId: string;
}

export type CheckKeyReply = { allow: true } | { allow: false; error: OpenAiError };

export interface ListModelsRequest {
  keyHash: string;
  clientIp: string;
  requestId: string;
}

/**
 * Gateway → policy for a call that generates nothing (reading, deleting or cancelling a stored
 * response, counting input tokens): the key's own rules — secret, IP allow-list, disabled, expiry,
 * operation — and, with a model, the model and provider rules and its route. Nothing is counted or
 * reserved, and any policy process can answer (each one follows every key).
 */
export interface AccessRequest {
  keyHash: string;
  operation: Operation;
  clientIp: string;
  requestId: string;
  model?: string;
}

export type AccessReply =
  | { allow: true; keyId: string; route?: Route }
  | { allow: false; keyId?: string; error: OpenAiError };

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

/** Live limit state of some keys, as policy holds it (keys without limits are still listed). */
export interface KeyStateRequest {
  keyIds: string[];
}
export interface KeyStateReply {
  states: Record<string, KeyLimitState>;
}

/** One rule that applies to a key, with its setting and current state. */
export interface EffectiveRule {
  rule: string;
  setting: unknown;
  state?: unknown;
}
export interface EffectivePolicyReply {
  keyId: string;
  status: 'active' | 'disabled' | 'expired' | 'revoked';
  rules: EffectiveRule[];
}

/** A dry run of authorize for a key: nothing is counted or reserved. */
export interface SimulateRequest {
  keyId: string;
  model: string;
  operation: Operation;
  clientIp?: string;
  estimate?: CallEstimate;
}
export interface SimulateReply {
  allowed: boolean;
  /** The rule that refuses the call, when it is refused. */
  rule: string | null;
  error: OpenAiError | null;
  /** Where the call would go. */
  route: { providerId: string; upstreamModel: string } | null;
  /** The headers the call would carry. */
  headers: Record<string, string>;
  /** What it would reserve of the budget. */
  reservedUsd: number | null;
}

/** Policy → key-registry: spend in a budget period crossed a threshold (idempotent per key, period, threshold). */
export interface RecordBudgetThresholdRequest {
  keyId: string;
  thresholdPercent: number;
  periodStart: string;
  spentUsd: number;
  maxUsd: number;
}
