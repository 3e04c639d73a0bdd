import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HrTime, Meter } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { cachedCollection } from './cached-collection';
import { DirectMetrics, type BoundHistogram, type BoundHistogramOptions } from './direct-metrics';
import { observeProcessMemory } from './process-memory';

/**
 * One MeterProvider per process, two exports of the same instruments: a Prometheus text endpoint
 * (pulled; see serveMetrics) and OTLP/HTTP (pushed every OTEL_METRIC_EXPORT_INTERVAL ms, default
 * 60 s) when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is set.
 */
let state: { provider: MeterProvider; prometheus: PrometheusExporter; direct: DirectMetrics } | undefined;

function metricsState(service: string): NonNullable<typeof state> {
  if (state) return state;
  const direct = new DirectMetrics();
  const prometheus = new PrometheusExporter({
    preventServerStart: true,
    withoutScopeInfo: true,
    metricProducers: [direct],
  });
  const readers: IMetricReader[] = [prometheus];
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) {
    const interval = Number(process.env.OTEL_METRIC_EXPORT_INTERVAL) || 60_000;
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        exportIntervalMillis: interval,
        exportTimeoutMillis: Math.min(interval, 30_000),
        metricProducers: [direct],
      }),
    );
  }
  // The SDK folds series past 2,000 per instrument into one overflow series; per-key counters hold
  // keys × models × outcomes, bounded by the operator's own keys, so they may go far past that.
  const cardinality = Number(process.env.SLUICE_METRICS_MAX_SERIES) || 200_000;
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': `sluice-${service}`, 'service.namespace': 'sluice' }),
    readers,
    views: [{ instrumentName: '*', aggregationCardinalityLimit: cardinality }],
  });
  observeProcessMemory(provider.getMeter(`sluice-${service}`));
  return (state = { provider, prometheus, direct });
}

/** The meter of one part of a service; the first call in a process names the process's resource. */
export function meterOf(service: string): Meter {
  return metricsState(service).provider.getMeter(`sluice-${service}`);
}

/** A histogram for the hot path, exported with the meter's instruments (see DirectMetrics). */
export function boundHistogram(service: string, name: string, options: BoundHistogramOptions): BoundHistogram {
  return metricsState(service).direct.histogram(`sluice-${service}`, name, options);
}

/** Counters and gauges a service tallies itself, read at each collection (see DirectMetrics). */
export function collectDirectly(service: string, collect: (now: HrTime) => MetricData[]): void {
  metricsState(service).direct.collectWith(`sluice-${service}`, collect);
}

// What PrometheusExporter's own handler writes: no prefix, no timestamps, no scope labels.
const serializer = new PrometheusSerializer('', false, undefined, false, true);

/** The Prometheus text of everything this process measures, as a scrape would read it (collected now). */
export async function scrapeMetrics(): Promise<string> {
  const { prometheus } = metricsState('unknown');
  const { resourceMetrics } = await prometheus.collect();
  return serializer.serialize(resourceMetrics);
}

export interface MetricsEndpoint {
  url: string;
  close(): Promise<void>;
}

export interface MetricsEndpointOptions {
  /**
   * How long one collection answers every scrape (SLUICE_METRICS_CACHE_MS, default 2000); collections never overlap.
   */
  cacheMs: number;
  /** SLUICE_METRICS_TOKEN: when set, a scrape must send `Authorization: Bearer <token>`. */
  token?: string;
}

export function metricsEndpointSettings(env: NodeJS.ProcessEnv = process.env): MetricsEndpointOptions {
  const cacheMs = Number(env.SLUICE_METRICS_CACHE_MS);
  return {
    cacheMs: env.SLUICE_METRICS_CACHE_MS && cacheMs >= 0 ? cacheMs : 2000,
    token: env.SLUICE_METRICS_TOKEN || undefined,
  };
}

/**
 * `GET /metrics` on a listener of its own, apart from the service's API port: the gateway's port
 * is public, and per-key spend is not the callers' business. Scrapes share collections (see
 * cachedCollection) and, with a token, must present it.
 */
export async function serveMetrics(
  service: string,
  port: number,
  host: string,
  options: MetricsEndpointOptions = metricsEndpointSettings(),
): Promise<MetricsEndpoint> {
  metricsState(service);
  // Kept as bytes: a cached answer is written as it is, not encoded again for every scrape.
  const scrape = cachedCollection(async () => Buffer.from(await scrapeMetrics()), options.cacheMs);
  const authorized = options.token === undefined ? () => true : bearerCheck(options.token);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && !req.url?.startsWith('/metrics?'))) {
      res.statusCode = 404;
      return res.end();
    }
    if (!authorized(req.headers.authorization)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer' });
      return res.end();
    }
    scrape().then(
      (body) => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }).end(body),
      (err: Error) =>
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`# failed to export metrics: ${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${bound}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Compares in constant time (digests of equal length), so the answer's timing tells nothing of the token. */
function bearerCheck(token: string): (header: string | undefined) => boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  const expected = digest(`Bearer ${token}`);
  return (header) => header !== undefined && timingSafeEqual(digest(header), expected);
}

/** Pushes what is left to OTLP and stops the readers (at shutdown). */
export async function shutdownMetrics(): Promise<void> {
  await state?.provider.shutdown().catch(() => undefined);
  state = undefined;
}

/** Operator settings that shape every service's metrics. */
export interface MetricsSettings {
  /** Per-key labels (key id and name) on counters and gauges; SLUICE_METRICS_KEY_LABELS=false turns them off. */
  keyLabels: boolean;
  /** LiteLLM's metric names and labels besides Sluice's own (SLUICE_METRICS_LITELLM=true). */
  litellm: boolean;
}

export function metricsSettings(env: NodeJS.ProcessEnv = process.env): MetricsSettings {
  return { keyLabels: env.SLUICE_METRICS_KEY_LABELS !== 'false', litellm: env.SLUICE_METRICS_LITELLM === 'true' };
}

/** Histogram buckets in seconds fit for sub-millisecond values (Sluice's own added time) up to a minute. */
export const FINE_SECONDS_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
/** OpenTelemetry GenAI's suggested buckets for `gen_ai.client.operation.duration` and time to first chunk. */
export const GENAI_SECONDS_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
/** OpenTelemetry GenAI's suggested buckets for `gen_ai.client.token.usage`. */
export const GENAI_TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
