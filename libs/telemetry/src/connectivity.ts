import type { Meter } from '@opentelemetry/api';

export interface ConnectivityProbes {
  /** Whether the NATS connection is up now (not closed, not reconnecting). */
  nats?: () => boolean;
  /** Whether Postgres answers now; asked at each collection, so it must bound its own wait. */
  postgres?: () => Promise<boolean>;
}

/** `sluice_nats_connected` and `sluice_postgres_connected` (1 or 0), read when metrics are collected. */
export function observeConnectivity(meter: Meter, probes: ConnectivityProbes): void {
  if (probes.nats) {
    const nats = probes.nats;
    meter
      .createObservableGauge('sluice.nats.connected', {
        description: 'Whether this process is connected to NATS (1) or not (0).',
      })
      .addCallback((r) => r.observe(nats() ? 1 : 0));
  }
  if (probes.postgres) {
    const postgres = probes.postgres;
    meter
      .createObservableGauge('sluice.postgres.connected', {
        description: 'Whether Postgres answered this process within a second (1) or not (0).',
      })
      .addCallback(async (r) => r.observe((await postgres().catch(() => false)) ? 1 : 0));
  }
}
