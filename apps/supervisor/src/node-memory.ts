import type { ServiceName } from './service-names';

/**
 * Each semi-space of a service's young generation, MB. Node's default lets it grow to 16 MB (32 MB
 * of new space), which every service commits during start-up and keeps. A smaller one is scavenged
 * more often, and each scavenge has a fixed cost and promotes what is still in flight: the gateway,
 * whose CPU per call is the system's largest, keeps Node's 16 (8 cost it ~4–9 % at 500 req/s);
 * policy and metering, on a call's path too, 4; the two services that mostly wait, 2
 * (docs/benchmarks.md#memory-of-npm-start-2026-12-05).
 */
export const SEMI_SPACE_MB: Record<ServiceName, number> = {
  gateway: 16,
  policy: 4,
  metering: 4,
  'key-registry': 2,
  'admin-api': 2,
};

/**
 * Each service's old-generation ceiling, MB: the ones deploy/kubernetes sets. Below 2 GB V8 also
 * grows the heap by a smaller factor after each full collection (at most ~1.3–1.8 instead of 4), so
 * a burst leaves less behind. Policy holds ~11 KB per key with limits, the gateway a call's body.
 */
export const MAX_HEAP_MB: Record<ServiceName, number> = {
  gateway: 768,
  policy: 1536,
  metering: 384,
  'key-registry': 384,
  'admin-api': 384,
};

/**
 * The V8 options `npm start` gives `service`, ahead of the NODE_OPTIONS it already has, so that an
 * operator's own NODE_OPTIONS win (V8 takes the last value). SLUICE_<SERVICE>_SEMI_SPACE_MB and
 * SLUICE_<SERVICE>_MAX_HEAP_MB override the defaults; 0 leaves the setting to Node.
 */
export function withMemoryOptions(service: ServiceName, env: Readonly<Record<string, string | undefined>>): string {
  const prefix = envPrefix(service);
  const semiSpace = megabytes(env, `${prefix}_SEMI_SPACE_MB`, SEMI_SPACE_MB[service]);
  const maxHeap = megabytes(env, `${prefix}_MAX_HEAP_MB`, MAX_HEAP_MB[service]);
  const options: string[] = [];
  if (semiSpace) options.push(`--max-semi-space-size=${semiSpace}`);
  if (maxHeap) options.push(`--max-old-space-size=${maxHeap}`);
  if (env.NODE_OPTIONS) options.push(env.NODE_OPTIONS);
  return options.join(' ');
}

/**
 * The V8 flags for `service` that Node refuses in NODE_OPTIONS, to go before the entry point:
 * `--min-semi-space-size`, the semi-space's maximum unless SLUICE_<SERVICE>_MIN_SEMI_SPACE_MB says
 * otherwise (0: V8's own, 1 MB). V8 shrinks the young generation to its minimum at the first
 * collection after a quiet spell and grows it back only by doubling, as scavenges keep objects: a
 * gateway taking up 500 req/s after 20 s idle scavenged every ~25 ms instead of every ~0.45 s for
 * seconds (docs/benchmarks.md). Its pages are touched only as the service allocates into them.
 */
export function memoryArgs(service: ServiceName, env: Readonly<Record<string, string | undefined>>): string[] {
  const prefix = envPrefix(service);
  const ceiling = megabytes(env, `${prefix}_SEMI_SPACE_MB`, SEMI_SPACE_MB[service]);
  const floor = megabytes(env, `${prefix}_MIN_SEMI_SPACE_MB`, ceiling);
  // Never above the maximum (V8 would hold it to the maximum anyway; the flag says what holds).
  const min = ceiling > 0 ? Math.min(floor, ceiling) : floor;
  return min > 0 ? [`--min-semi-space-size=${min}`] : [];
}

const envPrefix = (service: ServiceName): string => `SLUICE_${service.toUpperCase().replace('-', '_')}`;

function megabytes(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number of MB (0: Node's default), not "${raw}"`);
  return Number(raw);
}
