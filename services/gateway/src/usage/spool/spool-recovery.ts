import { readFileSync, unlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { UsageMessage } from '@sluice/contracts';
import type { Logger } from '@sluice/service';
import { release } from './spool-files';
import { unreportedUsage } from './spool-records';

// Bounds the messages in flight while republishing a large spool.
const CONCURRENCY = 256;

export interface RecoveryResult {
  files: number;
  /** Real usage republished (same msgID: JetStream and metering drop it if it had landed). */
  reported: number;
  /** Calls that never ended, charged at their worst case. */
  estimated: number;
  /** Messages JetStream did not take: their file is kept for the next start. */
  failed: number;
}

/**
 * Republishes what the spool files of dead gateways still owe metering, then deletes each file
 * whose messages were all stored. A file with a failure stays (claimed by this process; the next
 * start after this one claims it again), so nothing is dropped, at worst sent twice and deduplicated.
 */
export class SpoolRecovery {
  readonly done: Promise<RecoveryResult>;

  constructor(
    files: string[],
    private readonly deliver: (usage: UsageMessage) => Promise<boolean>,
    private readonly logger: Logger,
  ) {
    this.done =
      files.length === 0 ? Promise.resolve({ files: 0, reported: 0, estimated: 0, failed: 0 }) : this.recover(files);
  }

  /** Waits for the recovery, at most `timeoutMs` (it goes on in the background after that). */
  async settle(timeoutMs: number): Promise<RecoveryResult | null> {
    return Promise.race([this.done, sleep(timeoutMs, null, { ref: false })]);
  }

  private async recover(files: string[]): Promise<RecoveryResult> {
    const result: RecoveryResult = { files: files.length, reported: 0, estimated: 0, failed: 0 };
    for (const file of files) {
      let owed: UsageMessage[];
      try {
        owed = unreportedUsage(readFileSync(file, 'utf8'));
      } catch (err) {
        this.logger.error({ file, err: (err as Error).message }, 'usage spool file could not be read');
        continue;
      }
      let failed = 0;
      for (let i = 0; i < owed.length; i += CONCURRENCY) {
        const landed = await Promise.all(owed.slice(i, i + CONCURRENCY).map((usage) => this.deliver(usage)));
        failed += landed.filter((ok) => !ok).length;
      }
      const estimated = owed.filter((usage) => usage.estimated && usage.status === 0).length;
      result.estimated += estimated;
      result.reported += owed.length - estimated;
      result.failed += failed;
      if (failed === 0) {
        try {
          unlinkSync(file);
        } catch {
          // already gone: nothing left to report from it
        }
        release(file);
      }
    }
    this.logger[result.failed > 0 ? 'error' : 'info'](result, 'usage spool of a dead gateway recovered');
    return result;
  }
}
