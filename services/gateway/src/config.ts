import { join } from 'node:path';
import { UpstreamAllowList } from '@sluice/net-policy';
import { DEFAULT_METRICS_PORT, env, envInt } from '@sluice/service';
import { MAX_SSE_EVENT_BYTES } from './providers/sse-event-bound';
import { parseTrustedProxies } from './edge/client-ip';
import { DEFAULT_USAGE_BATCH_MS } from './usage/usage-publisher';

export interface GatewayConfig {
  port: number;
  host: string;
  natsUrl: string;
  bodyLimit: number;
  /**
   * Bodies above this size (or of unknown length) are read only once policy knows the key
   * (SLUICE_GATEWAY_KEY_CHECK_ABOVE_BYTES).
   */
  keyCheckAboveBytes: number;
  authorizeTimeoutMs: number;
  /** The request line and headers must be in within this (SLUICE_GATEWAY_REQUEST_HEADERS_TIMEOUT_MS). */
  requestHeadersTimeoutMs: number;
  /** The longest a request body may stop arriving (SLUICE_GATEWAY_REQUEST_BODY_IDLE_MS). */
  requestBodyIdleMs: number;
  /** The whole request, body included, must be in within this (SLUICE_GATEWAY_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** The longest a client may leave unread what it was sent, JSON or stream (SLUICE_GATEWAY_CLIENT_STALL_MS). */
  clientStallMs: number;
  /**
   * A non-streamed call's deadline, from the upstream request to its answer's last byte (SLUICE_GATEWAY_MAX_CALL_MS).
   */
  maxCallMs: number;
  /** The largest SSE event an upstream may send; a larger one fails the call (SLUICE_GATEWAY_MAX_SSE_EVENT_BYTES). */
  maxSseEventBytes: number;
  upstreamHeadersTimeoutMs: number;
  upstreamBodyTimeoutMs: number;
  maxUpstreamBodyBytes: number;
  drainAfterDisconnectMs: number;
  maxStreamMs: number;
  shutdownFlushMs: number;
  /**
   * How long a finished call's usage waits for others to share its JetStream message
   * (SLUICE_GATEWAY_USAGE_BATCH_MS; 0: only calls that end in the same event-loop turn; -1: one
   * message per call).
   */
  usageBatchMs: number;
  /**
   * 0: each leased call is told to policy before it asks its upstream, so policy can charge it even
   * if the gateway dies and its spool is lost. Above: only the calls still running this long after
   * they started are told (the live view's lag), for a gateway whose spool outlives it — `npm start`,
   * docker compose (SLUICE_GATEWAY_LEASE_NOTICE_MS).
   */
  leaseNoticeDelayMs: number;
  /** Addresses and CIDR ranges whose `X-Forwarded-For` is believed (SLUICE_TRUSTED_PROXIES). */
  trustedProxies: string[];
  /** Non-public upstream targets an operator allowed (SLUICE_UPSTREAM_ALLOW); public ones need no entry. */
  upstreamAllow: UpstreamAllowList;
  /** Where the write-ahead usage spool lives (SLUICE_GATEWAY_SPOOL_DIR); gateways on one machine may share it. */
  spoolDir: string;
  /** How long a start waits for a dead gateway's spool to be republished before it serves anyway. */
  spoolRecoveryWaitMs: number;
  /** Where `GET /metrics` listens (SLUICE_METRICS_PORT); 0: nowhere (in-process tests). */
  metricsPort: number;
}

export const DEFAULT_CONFIG: Omit<GatewayConfig, 'port' | 'natsUrl'> = {
  host: '0.0.0.0',
  bodyLimit: 32 * 1024 * 1024,
  keyCheckAboveBytes: 64 * 1024,
  authorizeTimeoutMs: 2000,
  requestHeadersTimeoutMs: 10_000,
  requestBodyIdleMs: 15_000,
  requestTimeoutMs: 120_000,
  clientStallMs: 60_000,
  maxCallMs: 600_000,
  maxSseEventBytes: MAX_SSE_EVENT_BYTES,
  // A non-streamed reasoning call sends its headers only when it is done.
  upstreamHeadersTimeoutMs: 600_000,
  upstreamBodyTimeoutMs: 300_000,
  maxUpstreamBodyBytes: 64 * 1024 * 1024,
  drainAfterDisconnectMs: 60_000,
  maxStreamMs: 30 * 60_000,
  shutdownFlushMs: 10_000,
  usageBatchMs: DEFAULT_USAGE_BATCH_MS,
  leaseNoticeDelayMs: 0,
  trustedProxies: [],
  upstreamAllow: UpstreamAllowList.none,
  // Never the shared temp directory: another local user could plant spool files there.
  spoolDir: join(process.env.SLUICE_DATA_DIR || '.sluice', 'gateway-spool'),
  spoolRecoveryWaitMs: 10_000,
  metricsPort: 0,
};

export function configFromEnv(): GatewayConfig {
  return {
    ...DEFAULT_CONFIG,
    port: envInt('SLUICE_GATEWAY_PORT', 8080),
    host: env('SLUICE_GATEWAY_HOST', process.env.SLUICE_HOST ?? DEFAULT_CONFIG.host),
    natsUrl: env('NATS_URL', 'nats://127.0.0.1:4222'),
    bodyLimit: envInt('SLUICE_GATEWAY_BODY_LIMIT', DEFAULT_CONFIG.bodyLimit),
    keyCheckAboveBytes: envInt('SLUICE_GATEWAY_KEY_CHECK_ABOVE_BYTES', DEFAULT_CONFIG.keyCheckAboveBytes),
    requestHeadersTimeoutMs: envInt(
      'SLUICE_GATEWAY_REQUEST_HEADERS_TIMEOUT_MS',
      DEFAULT_CONFIG.requestHeadersTimeoutMs,
    ),
    requestBodyIdleMs: envInt('SLUICE_GATEWAY_REQUEST_BODY_IDLE_MS', DEFAULT_CONFIG.requestBodyIdleMs),
    requestTimeoutMs: envInt('SLUICE_GATEWAY_REQUEST_TIMEOUT_MS', DEFAULT_CONFIG.requestTimeoutMs),
    clientStallMs: envInt('SLUICE_GATEWAY_CLIENT_STALL_MS', DEFAULT_CONFIG.clientStallMs),
    maxCallMs: envInt('SLUICE_GATEWAY_MAX_CALL_MS', DEFAULT_CONFIG.maxCallMs),
    maxSseEventBytes: envInt('SLUICE_GATEWAY_MAX_SSE_EVENT_BYTES', DEFAULT_CONFIG.maxSseEventBytes),
    upstreamHeadersTimeoutMs: envInt(
      'SLUICE_GATEWAY_UPSTREAM_HEADERS_TIMEOUT_MS',
      DEFAULT_CONFIG.upstreamHeadersTimeoutMs,
    ),
    upstreamBodyTimeoutMs: envInt('SLUICE_GATEWAY_UPSTREAM_BODY_TIMEOUT_MS', DEFAULT_CONFIG.upstreamBodyTimeoutMs),
    maxStreamMs: envInt('SLUICE_GATEWAY_MAX_STREAM_MS', DEFAULT_CONFIG.maxStreamMs),
    trustedProxies: parseTrustedProxies(process.env.SLUICE_TRUSTED_PROXIES),
    upstreamAllow: UpstreamAllowList.parse(process.env.SLUICE_UPSTREAM_ALLOW),
    spoolDir: env('SLUICE_GATEWAY_SPOOL_DIR', DEFAULT_CONFIG.spoolDir),
    usageBatchMs: usageBatchMsFromEnv(),
    leaseNoticeDelayMs: leaseNoticeDelayMsFromEnv(),
    metricsPort: envInt('SLUICE_METRICS_PORT', DEFAULT_METRICS_PORT),
  };
}

/**
 * Up to a second: longer would hold back metering's records and the stream's settlement of leased
 * calls. -1: no batches at all (a rolling upgrade from a release whose metering cannot read them).
 */
function usageBatchMsFromEnv(): number {
  const ms = envInt('SLUICE_GATEWAY_USAGE_BATCH_MS', DEFAULT_CONFIG.usageBatchMs);
  if (ms < -1 || ms > 1000) throw new Error('SLUICE_GATEWAY_USAGE_BATCH_MS must be -1 (no batches) or 0 to 1000');
  return ms;
}

/** Up to a second: a lease lives a second, and handing it back sends its calls' notices anyway. */
function leaseNoticeDelayMsFromEnv(): number {
  const ms = envInt('SLUICE_GATEWAY_LEASE_NOTICE_MS', DEFAULT_CONFIG.leaseNoticeDelayMs);
  if (ms < 0 || ms > 1000) throw new Error('SLUICE_GATEWAY_LEASE_NOTICE_MS must be 0 to 1000');
  return ms;
}
