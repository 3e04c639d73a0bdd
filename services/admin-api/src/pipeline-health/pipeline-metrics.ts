import type { Kysely } from 'kysely';
import { pingDb, type Database } from '@sluice/db';
import { connectedProbe, type NatsConnection } from '@sluice/messaging';
import { meterOf, observeConnectivity } from '@sluice/telemetry';
import { meteringLag, relayLag } from './pipeline-lag';

/**
 * The pipeline's lag, measured here rather than by metering or the relay themselves: a process
 * that has stopped cannot report that it is behind, and admin-api reads what they write.
 */
export function observePipeline(db: Kysely<Database>, nc: NatsConnection): void {
  const meter = meterOf('admin-api');
  observeConnectivity(meter, { nats: connectedProbe(nc), postgres: () => pingDb(db) });
  const metering = {
    messages: meter.createObservableGauge('sluice.metering.lag.messages', {
      description: 'Usage messages in JetStream that metering has not recorded yet.',
    }),
    seconds: meter.createObservableGauge('sluice.metering.lag.seconds', {
      unit: 's',
      description: 'How long the oldest usage message not yet recorded has waited (0: none waits).',
    }),
  };
  const relay = {
    events: meter.createObservableGauge('sluice.relay.lag.events', {
      description: 'Events committed to the log and not yet published to JetStream.',
    }),
    seconds: meter.createObservableGauge('sluice.relay.lag.seconds', {
      unit: 's',
      description: 'How long the oldest unpublished event has waited (0: none waits).',
    }),
  };
  meter.addBatchObservableCallback(
    async (r) => {
      const now = Date.now();
      const [usage, events] = await Promise.all([
        meteringLag(nc, now).catch(() => null),
        relayLag(db, now).catch(() => null),
      ]);
      if (usage) {
        r.observe(metering.messages, usage.count);
        r.observe(metering.seconds, usage.seconds);
      }
      if (events) {
        r.observe(relay.events, events.count);
        r.observe(relay.seconds, events.seconds);
      }
    },
    [metering.messages, metering.seconds, relay.events, relay.seconds],
  );
}
