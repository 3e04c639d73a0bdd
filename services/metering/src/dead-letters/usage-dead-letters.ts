import { Subjects } from '@sluice/contracts';
import { keepDeadLetter, type DeadLetterSource, type NatsConnection } from '@sluice/messaging';
import type { Logger } from '@sluice/service';
import { countDeadLetter } from '../telemetry/metering-metrics';

/** The dead-letter stream could not take a message: nothing is lost, the batch is tried again. */
export class DeadLetterUnavailable extends Error {
  constructor(cause: unknown) {
    super(`the dead-letter stream did not store a usage message: ${(cause as Error).message}`);
  }
}

/**
 * Usage metering can never record, kept on `sluice.dead.usage` (stream SLUICE_DEAD_LETTERS) and
 * acked, so it holds back nothing: a call of a batch on its own (`part`, its own bytes), a message
 * read as nothing or given up on whole, as it arrived. One log line each names the call but none of
 * its caller fields.
 */
export class UsageDeadLetters {
  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
  ) {}

  async keep(source: DeadLetterSource, reason: string, call?: { requestId: string; keyId: string }): Promise<void> {
    let kept: boolean;
    try {
      kept = await keepDeadLetter(this.nc, Subjects.usageDeadLetter, source, reason);
    } catch (err) {
      throw new DeadLetterUnavailable(err);
    }
    // Kept before (a redelivery of the message, a batch retried after the stream failed): counted and told once.
    if (!kept) return;
    countDeadLetter();
    this.logger.error(
      { seq: source.seq, part: source.part, requestId: call?.requestId, keyId: call?.keyId, reason },
      'usage message cannot be recorded: dead-lettered to SLUICE_DEAD_LETTERS',
    );
  }
}
