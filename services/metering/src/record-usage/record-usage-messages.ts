import type { Kysely } from 'kysely';
import { UsageMessage, usagesIn } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import type { BatchOutcome, DeadLetterSource, JsMsg } from '@sluice/messaging';
import type { Logger } from '@sluice/service';
import { arrayElements } from '../dead-letters/array-elements';
import type { UsageDeadLetters } from '../dead-letters/usage-dead-letters';
import { cleanUsage, withoutCallerFields, type RecordableUsage } from './clean-usage';
import { failureKindOf, sqlstateOf } from './failure-kind';
import { recordIsolating, type Unrecorded } from './record-isolating';
import { recordUsageBatch } from './record-usage';
import { countRecorded } from '../telemetry/metering-metrics';
import { endRecordSpan, startRecordSpan } from '../telemetry/record-span';

/** One call of a message: the message itself, or the element `part` of a batch. */
interface Call {
  msg: JsMsg;
  part?: number;
}

interface Entry extends Call {
  usage: RecordableUsage;
}

/**
 * Bounds one statement (and a bisection's depth): a consumer batch of 256 messages was 256 calls,
 * and batch messages of a backlog can make it tens of thousands, one jsonb parameter of tens of MB.
 */
const MAX_CALLS_PER_STATEMENT = 1024;
/** A gateway's batch holds at most 128 calls; a message with more than this is kept whole, unread. */
const MAX_CALLS_PER_MESSAGE = 1024;
/** Past this many malformed calls in one batch message, the message is kept once, whole, not call by call. */
const MAX_MALFORMED_PARTS = 16;

interface DeadLetter extends Call {
  reason: string;
  usage?: UsageMessage;
}

/**
 * Records a batch of usage-stream messages, each one call or a batch of calls (a JSON array), so that
 * no call can hold back another: malformed ones and ones Postgres can never store are dead-lettered
 * on their own; caller fields it cannot store are cleaned and flagged; a batch Postgres refuses for
 * what it holds is bisected down to the offending call, which is tried once more without its caller
 * fields, then dead-lettered. Only an unavailable database (or dead-letter stream) fails the batch,
 * which the consumer then retries as a whole; a call that fails for an unknown reason has its message
 * handed back, to be retried up to the consumer's `maxDeliver`.
 */
export function usageBatchHandler(
  db: Kysely<Database>,
  deadLetters: UsageDeadLetters,
  logger: Logger,
  maxCallsPerStatement = MAX_CALLS_PER_STATEMENT,
) {
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
      const raw = jsonOf(msg);
      const batch = Array.isArray(raw);
      // An empty batch holds no call: nothing to record or keep, and it is acked.
      if (batch && raw.length === 0) logger.warn({ seq: msg.seq }, 'usage message without a call: acked');
      const calls = usagesIn(raw);
      if (calls.length > MAX_CALLS_PER_MESSAGE) {
        dead.push({
          msg,
          reason: `a batch of ${calls.length} calls: more than ${MAX_CALLS_PER_MESSAGE} in one message`,
        });
        continue;
      }
      const checked = calls.map((call) => UsageMessage.safeParse(call));
      const malformed = checked.filter((c) => !c.success).length;
      // A gateway never sends a malformed call: many in one message are kept once, whole, so one
      // message cannot make thousands of dead letters and log lines.
      const keptWhole = batch && malformed > MAX_MALFORMED_PARTS;
      if (keptWhole) dead.push({ msg, reason: `malformed: ${malformed} of its ${calls.length} calls` });
      for (let i = 0; i < calls.length; i++) {
        const part = batch ? i : undefined;
        const parsed = checked[i];
        if (!parsed.success) {
          const at = parsed.error.issues[0]?.path.join('.');
          if (!keptWhole) dead.push({ msg, part, reason: `malformed: ${at || 'not a usage message'}` });
          continue;
        }
        if (parsed.data.costNanos === undefined && parsed.data.costUsd === undefined) {
          logger.warn(
            { requestId: parsed.data.requestId, model: parsed.data.model },
            'usage message without a cost (its route had no price): recorded at cost 0',
          );
        }
        const cleaned = cleanUsage(parsed.data);
        if (cleaned.ok) entries.push({ msg, part, usage: cleaned.usage });
        else dead.push({ msg, part, reason: cleaned.reason, usage: parsed.data });
      }
    }

    const spans = entries.map((e) => startRecordSpan(e.usage));
    const retried = new Set<Entry>();
    const refused = new Set<Entry>();
    let lastFailure: unknown;
    const unrecorded: Unrecorded<Entry>[] = [];
    try {
      for (let from = 0; from < entries.length; from += maxCallsPerStatement) {
        const chunk =
          entries.length <= maxCallsPerStatement ? entries : entries.slice(from, from + maxCallsPerStatement);
        unrecorded.push(...(await recordIsolating(chunk, record, aboutTheMessages)));
      }
    } catch (err) {
      for (const span of spans) endRecordSpan(span, 'unavailable');
      throw err;
    }
    for (const { item, err } of unrecorded) {
      let failure = err;
      const bare = failureKindOf(err) === 'content' ? withoutCallerFields(item.usage) : null;
      if (bare) {
        try {
          await record([{ ...item, usage: bare }]);
          logCleaned(logger, bare);
          continue;
        } catch (again) {
          if (!aboutTheMessages(again)) throw again;
          failure = again;
        }
      }
      if (failureKindOf(failure) === 'content') {
        dead.push({ msg: item.msg, part: item.part, reason: `SQLSTATE ${sqlstateOf(failure)}`, usage: item.usage });
        refused.add(item);
      } else {
        retried.add(item);
        lastFailure = failure;
      }
    }
    // A message is acked or handed back whole: one call to retry hands back its batch, whose recorded
    // calls replay as no-ops (the unique request id).
    const retry = new Set([...retried].map((e) => e.msg));
    if (retry.size > 0)
      logger.warn(
        { messages: retry.size, calls: retried.size, err: (lastFailure as Error).message },
        'usage failed to record on its own; its messages will be redelivered',
      );
    const failed = new Set(unrecorded.map((u) => u.item));
    for (const entry of entries) if (entry.usage.cleanedFields && !failed.has(entry)) logCleaned(logger, entry.usage);
    // A dead call of a batch handed back is kept now and met again on the redelivery: its msgID
    // (`<subject>#<seq>.<part>`) makes JetStream drop that copy within the dead-letter stream's 2-minute
    // duplicate window, and keep() counts and logs it once. Only a redelivery more than 2 minutes later
    // (metering down meanwhile) keeps a second copy, with the same sluice-seq and sluice-part.
    const elements = new Map<JsMsg, Uint8Array[]>();
    for (const d of dead) await deadLetters.keep(sourceOf(d, elements), d.reason, d.usage);
    for (const [i, e] of entries.entries())
      endRecordSpan(spans[i], refused.has(e) ? 'dead_lettered' : retried.has(e) ? 'retried' : undefined);
    return { retry: [...retry] };
  };
}

/** What a dead call is kept as: a message whole, as it arrived; a call of a batch, its own bytes as written. */
function sourceOf({ msg, part }: Call, elements: Map<JsMsg, Uint8Array[]>): DeadLetterSource {
  if (part === undefined) return msg;
  let split = elements.get(msg);
  if (!split) elements.set(msg, (split = arrayElements(msg.data)));
  return { subject: msg.subject, seq: msg.seq, data: split[part], part };
}

function logCleaned(logger: Logger, usage: RecordableUsage): void {
  logger.warn(
    { requestId: usage.requestId, keyId: usage.keyId, cleanedFields: usage.cleanedFields },
    'usage recorded with caller fields Postgres cannot store cleaned',
  );
}

/** Not JSON parses as nothing, and is dead-lettered whole as malformed. */
function jsonOf(msg: JsMsg): unknown {
  try {
    return msg.json();
  } catch {
    return undefined;
  }
}
