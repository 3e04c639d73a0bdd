import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpstreamAllowList } from '@sluice/net-policy';
import { DEFAULT_METRICS_PORT, env, envInt } from '@sluice/service';
import { parseTrustedProxies } from './ingress/client-ip';

export interface GatewayConfig {
  port: number;
  host: string;
  natsUrl: string;
  bodyLimit: number;
  authorizeTimeoutMs: number;
  upstreamHeadersTimeoutMs: number;
  upstreamBodyTimeoutMs: number;
  maxUpstreamBodyBytes: number;
  drainAfterDisconnectMs: number;
  maxStreamMs: number;
  shutdownFlushMs: number;
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
  authorizeTimeoutMs: 2000,
  // A non-streamed reasoning call sends its headers only when it is done.
  upstreamHeadersTimeoutMs: 600_000,
  upstreamBodyTimeoutMs: 300_000,
  maxUpstreamBodyBytes: 64 * 1024 * 1024,
  drainAfterDisconnectMs: 60_000,
  maxStreamMs: 30 * 60_000,
  shutdownFlushMs: 10_000,
  trustedProxies: [],
  upstreamAllow: UpstreamAllowList.none,
  spoolDir: join(process.env.SLUICE_DATA_DIR || tmpdir(), 'gateway-spool'),
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
    upstreamHeadersTimeoutMs: envInt('SLUICE_GATEWAY_UPSTREAM_HEADERS_TIMEOUT_MS', DEFAULT_CONFIG.upstreamHeadersTimeoutMs),
    upstreamBodyTimeoutMs: envInt('SLUICE_GATEWAY_UPSTREAM_BODY_TIMEOUT_MS', DEFAULT_CONFIG.upstreamBodyTimeoutMs),
    maxStreamMs: envInt('SLUICE_GATEWAY_MAX_STREAM_MS', DEFAULT_CONFIG.maxStreamMs),
    trustedProxies: parseTrustedProxies(process.env.SLUICE_TRUSTED_PROXIES),
    upstreamAllow: UpstreamAllowList.parse(process.env.SLUICE_UPSTREAM_ALLOW),
    spoolDir: env('SLUICE_GATEWAY_SPOOL_DIR', DEFAULT_CONFIG.spoolDir),
    metricsPort: envInt('SLUICE_METRICS_PORT', DEFAULT_METRICS_PORT),
  };
}
