import { setTimeout as sleep } from 'node:timers/promises';
import { Subjects, usdOfNanos, type RecordBudgetThresholdRequest } from '@sluice/contracts';
import { request, type NatsConnection } from '@sluice/messaging';
import type { Logger } from '@sluice/service';
import type { KeyPolicy } from '../keys/key-table';

const BACKOFF_MS = [500, 1000, 2000, 5000, 10_000, 30_000];

/**
 * Asks key-registry to record a crossed budget threshold as an event (which also notifies the
 * webhook). Key-registry records each (key, period, threshold) once, so sending it again after a
 * restart or a lost reply is harmless; failures are retried with backoff in the background.
 */
export class ThresholdReporter {
  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
  ) {}

  report(key: KeyPolicy, thresholdPercent: number, periodStart: number, spentNanos: number): void {
    if (!key.budget) return;
    // USD as JSON numbers that print as the exact decimal (see usdOfNanos): the event and the webhook show them.
    const body: RecordBudgetThresholdRequest = {
      keyId: key.keyId,
      thresholdPercent,
      periodStart: new Date(periodStart).toISOString(),
      spentUsd: usdOfNanos(spentNanos),
      maxUsd: key.budget.maxUsd,
    };
    void this.#send(body);
  }

  async #send(body: RecordBudgetThresholdRequest): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await request(this.nc, Subjects.rpc.keyRegistry('record-budget-threshold'), body, { timeoutMs: 5000 });
        return;
      } catch (err) {
        if (attempt >= BACKOFF_MS.length || this.nc.isClosed()) {
          this.logger.error(
            { keyId: body.keyId, thresholdPercent: body.thresholdPercent, err: (err as Error).message },
            'budget threshold could not be recorded',
          );
          return;
        }
        await sleep(BACKOFF_MS[attempt], undefined, { ref: false });
      }
    }
  }
}
