import type { Kysely } from 'kysely';
import { UsageMessage } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import type { BatchOutcome, JsMsg } from '@sluice/messaging';
import type { Logger } from '@sluice/service';
import type { UsageDeadLetters } from '../dead-letters/usage-dead-letters';
import { cleanUsage, withoutCallerFields, type RecordableUsage } from './clean-usage';
import { failureKindOf, sqlstateOf } from './failure-kind';
import { recordIsolating } from './record-isolating';
import { recordUsageBatch } from './record-usage';
import { countRecorded } from '../telemetry/metering-metrics';
import { endRecordSpan, startRecordSpan } from '../telemetry/record-span';

interface Entry {
  msg: JsMsg;
  usage: RecordableUsage;
}

interface DeadLetter {
  msg: JsMsg;
  reason: string;
  usage?: UsageMessage;
}

/**
 * Records a batch of usage messages so that no message can hold back another: malformed ones and
 * ones Postgres can never store are dead-lettered; caller fields it cannot store are cleaned and
 * flagged; a batch Postgres refuses for what it holds is bisected down to the offender, which is
 * tried once more without its caller fields, then dead-lettered. Only an unavailable database (or
 * dead-letter stream) fails the batch, which the consumer then retries as a whole; a message that
 * fails for an unknown reason is handed back on its own, to be retried up to the consumer's
 * `maxDeliver`.
 */
export function usageBatchHandler(db: Kysely<Database>, deadLetters: UsageDeadLetters, logger: Logger) {
  const record = async (entries: readonly Entry[]) => {
    const result = await recordUsageBatch(
      db,
      entries.map((e) => e.usage),
    );
    countRecorded(result.recorded.size, entries.length);
    return result;
  };
  const aboutTheMessages = (err: unknown) => failureKindOf(err) !== 'unavailable';

  return async (msgs: JsMsg[]): Promise<BatchOutcome> => {
    const entries: Entry[] = [];
    const dead: DeadLetter[] = [];
    for (const msg of msgs) {
      const parsed = UsageMessage.safeParse(jsonOf(msg));
      if (!parsed.success) {
        dead.push({ msg, reason: `malformed: ${parsed.error.issues[0]?.path.join('.') || 'not a usage message'}` });
        continue;
      }
      if (parsed.data.costNanos === undefined && parsed.data.costUsd === undefined) {
        logger.warn(
          { requestId: parsed.data.requestId, model: parsed.data.model },
          'usage message without a cost (its route had no price): recorded at cost 0',
        );
      }
      const cleaned = cleanUsage(parsed.data);
      if (cleaned.ok) entries.push({ msg, usage: cleaned.usage });
      else dead.push({ msg, reason: cleaned.reason, usage: parsed.data });
    }

    const spans = entries.map((e) => startRecordSpan(e.usage));
    const retry: JsMsg[] = [];
    let lastFailure: unknown;
    const unrecorded = await recordIsolating(entries, record, aboutTheMessages).catch((err) => {
      for (const span of spans) endRecordSpan(span, 'unavailable');
      throw err;
    });
    for (const { item, err } of unrecorded) {
      let failure = err;
      const bare = failureKindOf(err) === 'content' ? withoutCallerFields(item.usage) : null;
      if (bare) {
        try {
          await record([{ msg: item.msg, usage: bare }]);
          logCleaned(logger, bare);
          continue;
        } catch (again) {
          if (!aboutTheMessages(again)) throw again;
          failure = again;
        }
      }
      if (failureKindOf(failure) === 'content') {
        dead.push({ msg: item.msg, reason: `SQLSTATE ${sqlstateOf(failure)}`, usage: item.usage });
      } else {
        retry.push(item.msg);
        lastFailure = failure;
      }
    }
    if (retry.length > 0)
      logger.warn(
        { messages: retry.length, err: (lastFailure as Error).message },
        'usage messages failed to record on their own; they will be redelivered',
      );
    const failed = new Set(unrecorded.map((u) => u.item));
    for (const entry of entries) if (entry.usage.cleanedFields && !failed.has(entry)) logCleaned(logger, entry.usage);
    for (const { msg, reason, usage } of dead) await deadLetters.keep(msg, reason, usage);
    const deadMsgs = new Set(dead.map((d) => d.msg));
    const retried = new Set(retry);
    for (const [i, e] of entries.entries())
      endRecordSpan(spans[i], deadMsgs.has(e.msg) ? 'dead_lettered' : retried.has(e.msg) ? 'retried' : undefined);
    return { retry };
  };
}

function logCleaned(logger: Logger, usage: RecordableUsage): void {
  logger.warn(
    { requestId: usage.requestId, keyId: usage.keyId, cleanedFields: usage.cleanedFields },
    'usage recorded with caller fields Postgres cannot store cleaned',
  );
}

/** Not JSON parses as nothing, and is dead-lettered as malformed. */
function jsonOf(msg: JsMsg): unknown {
  try {
    return msg.json();
  } catch {
    return undefined;
  }
}
