import { meterOf } from '@sluice/telemetry';
import type { SendResult } from './webhook-sender';

const deliveries = meterOf('key-registry').createCounter('sluice.webhook.deliveries', {
  description:
    'Budget webhook sends by outcome: delivered, failed (retried later) or refused (never sent: the URL is not allowed).',
});
const OUTCOMES = {
  delivered: { outcome: 'delivered' },
  failed: { outcome: 'failed' },
  refused: { outcome: 'refused' },
};
// Every series exists from the first scrape, so dashboards and alerts see a 0, not nothing.
for (const attributes of Object.values(OUTCOMES)) deliveries.add(0, attributes);

export function countDelivery(result: SendResult): void {
  deliveries.add(1, result.ok ? OUTCOMES.delivered : result.permanent ? OUTCOMES.refused : OUTCOMES.failed);
}
