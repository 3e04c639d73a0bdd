/**
 * The admin API's shapes as the console reads them (docs/admin-api.md). Amounts of money may be
 * JSON numbers or exact decimal strings: the console renders both and never does arithmetic that
 * a person reads back as an amount.
 */
export type Money = number | string;
export type Role = 'owner' | 'operator' | 'auditor';
export type KeyStatus = 'active' | 'disabled' | 'expired' | 'revoked';

export interface Whoami {
  actor: string;
  role: Role;
  tokenId: string | null;
  name: string | null;
}

export interface RateLimits {
  requestsPerMinute?: number;
  requestsPerHour?: number;
  requestsPerDay?: number;
  tokensPerMinute?: number;
  tokenKinds?: ('input' | 'output')[];
  maxParallelRequests?: number;
}

export interface LimitWindow {
  limit: number;
  used: number;
  inFlight: number;
  remaining: number;
  resetsInMs: number;
}

export interface Budget {
  maxUsd: Money;
  period: string | null;
  alertThresholds: number[];
  webhookUrl?: string | null;
  webhookUrlHint?: string | null;
  periodStart?: string;
  resetsAt?: string | null;
  spentUsd?: Money;
  reservedUsd?: Money;
  remainingUsd?: Money;
  thresholdsReached?: number[];
}

export interface Key {
  id: string;
  name: string;
  description: string | null;
  status: KeyStatus;
  keyHint: string;
  models: string[] | null;
  operations: string[] | null;
  rateLimits: RateLimits | null;
  budget: Budget | null;
  rateLimitState?: Partial<
    Record<'requestsPerMinute' | 'requestsPerHour' | 'requestsPerDay' | 'tokensPerMinute', LimitWindow>
  > & {
    maxParallelRequests?: { limit: number; inFlight: number };
  };
  ipAllowlist: string[] | null;
  providerIds: string[] | null;
  previousKeyExpiresAt: string | null;
  expiresAt: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt?: string | null;
  usage: { requests: number; inputTokens: number; outputTokens: number; spendUsd: Money };
}

export interface KeyWithSecret extends Key {
  key: string;
}

export interface Provider {
  id: string;
  name: string;
  type: string;
  baseUrl: string | null;
  apiKeyHint: string | null;
  createdAt: string;
}

export interface Model {
  name: string;
  providerId: string;
  upstreamModel: string;
  inputUsdPerMTok: Money;
  outputUsdPerMTok: Money;
  cachedInputUsdPerMTok: Money | null;
  /** Absent from an older admin API. */
  cacheWriteUsdPerMTok?: Money | null;
  maxOutputTokens: number | null;
  createdAt: string;
}

export interface UsageTotals {
  requests: number;
  inputTokens: number;
  cachedInputTokens?: number;
  outputTokens: number;
  reasoningTokens?: number;
  spendUsd: Money;
  errors: number;
}

export interface UsagePoint {
  start: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  spendUsd: Money;
  errors: number;
}

export interface UsageReport {
  from: string;
  to: string;
  granularity: 'hour' | 'day';
  totals: UsageTotals;
  series: UsagePoint[];
  groups?: { id: string; name: string | null; totals: UsageTotals; series: UsagePoint[] }[];
}

export interface RequestRecord {
  requestId: string;
  keyId: string;
  model: string;
  operation: string;
  stream: boolean;
  status: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: Money;
  estimated: boolean;
  latencyMs: number;
  startedAt: string;
}

export interface PolicyRule {
  rule: string;
  setting: unknown;
  state?: Record<string, unknown>;
}

export interface SimulateReply {
  allowed: boolean;
  rule: string | null;
  error: { status: number; type: string; code: string; message: string; rule?: string } | null;
  route: { providerId: string; upstreamModel: string } | null;
  headers: Record<string, string>;
  reservedUsd: Money | null;
}

export interface AuditEvent {
  seq: string | number;
  eventId: string;
  type: string;
  streamId: string;
  version: number;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: string;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  head: { seq: number; position: string; hash: string } | null;
  firstBreak: { position: string; seq: number; reason: string } | null;
}

export interface AdminToken {
  id: string;
  name: string;
  role: Role;
  tokenHint: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface Page<T> {
  data: T[];
  nextCursor?: string | null;
}
