import type { NatsConnection } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Subjects, type UsageMessage } from '@sluice/contracts';
import { maxPayloadOf, publishDurableJson } from '@sluice/messaging';
import type { Logger } from '@sluice/service';
import { usageJson } from './usage-json';

// The first retries stay well inside JetStream's two-minute duplicate window, so a publish that did
// land but whose ack was lost is deduplicated by its msgID (the request id, or the batch's id). After them the message
// keeps being retried every 30 s while the process lives (a long NATS outage must not leave usage
// waiting for the next restart), flagged `recovered`: past the window a copy may land twice, and
// metering (unique request id) and policy (late-duplicate lookup) then count it once.
const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000, 15000, 15000, 15000];
const LATE_RETRY_MS = 30_000;
/** The longest a response waits for NATS to confirm an early settlement (one round trip, ~0.5 ms). */
const SETTLE_CONFIRM_MS = 200;

/** How long the usage of a call that ended waits for others to share its JetStream message. */
export const DEFAULT_USAGE_BATCH_MS = 50;
/** The most calls one message carries (metering keeps a message of more than 1,024 whole, unread). */
const MAX_BATCH_CALLS = 128;
/** Room in a message for its headers; a character of JSON is at most 3 bytes of UTF-8. */
const HEADROOM_BYTES = 4096;
const MAX_UTF8_PER_CHAR = 3;

interface Pending {
  message: UsageMessage;
  json: string;
}

/**
 * Publishes the usage of the calls this gateway served to JetStream without delaying a response.
 * The calls that end within `batchMs` of each other go out as one message (a JSON array, see
 * `usagesIn`), stored and acknowledged once: per call, JetStream's storing, acknowledging and
 * delivering to metering was the largest cost left on the hot path (docs/benchmarks.md). The
 * spool holds each call's usage until its message is acknowledged, so a gateway killed with a
 * batch waiting leaves it to its successor, like a message in flight. Failures are retried with
 * backoff while the process lives, then logged (the message holds no secret) and left in the spool
 * for the next start. `flush` lets shutdown wait for what is in flight.
 */
export class UsagePublisher {
  private readonly inFlight = new Set<Promise<boolean>>();
  private pending: Pending[] = [];
  private pendingChars = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** Messages settleNow already queued, which `publish` then skips. */
  private readonly sentEarly = new WeakSet<UsageMessage>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
    /** JetStream stored the call's usage (the spool records it, so a restart does not send it again). */
    private readonly onAcked: (callId: string) => void = () => {},
    /**
     * 0: the calls that end in the same event-loop turn only; negative: no batches, one message per
     * call (for a rolling upgrade while an older metering or policy still runs).
     */
    private readonly batchMs = DEFAULT_USAGE_BATCH_MS,
  ) {}

  /**
   * Hands policy the usage of a call that holds a reservation over core NATS, before the response's
   * last bytes leave, so a client that calls again at once finds its previous call settled, not still
   * holding its worst case. nats.js writes what was published in a microtask queued by the first
   * publish of a turn; yielding once lets that write happen here, so the settlement is in NATS's
   * socket buffer before the client can have its answer: its next call through this gateway travels
   * the same connection behind it. Through another gateway it would have to overtake a message sent
   * before it — which a busy machine can make happen, so when policy says the key is near a limit
   * (`confirm`) the settlement is also confirmed by a PING's round trip (bounded: a slow or absent
   * NATS delays no response by more than SETTLE_CONFIRM_MS, and the JetStream copy settles the call
   * then). Elsewhere that round trip would cost every call ~0.5 ms for no decision it could change.
   * The JetStream copy joins the batch.
   */
  async settleNow(message: UsageMessage, confirm = false): Promise<void> {
    try {
      if (this.nc.isClosed() || this.nc.isDraining()) return;
      const json = usageJson(message);
      this.nc.publish(Subjects.rpc.policySettle, json);
      this.sentEarly.add(message);
      this.enqueue(message, json);
      // With no wait: its durable copy leaves in the same socket write as the settlement, as policy
      // forgets a settled call after a few minutes — a copy only a late successor's spool could
      // bring (a gateway killed while the batch waited) would be counted again.
      this.sendNow();
      if (confirm) await Promise.race([this.nc.flush(), sleep(SETTLE_CONFIRM_MS, undefined, { ref: false })]);
      else await null;
    } catch {
      // The response never waits on this path failing: JetStream's copy settles the call.
    }
  }

  publish(message: UsageMessage): void {
    if (this.sentEarly.delete(message)) return; // queued by settleNow
    this.enqueue(message, usageJson(message));
  }

  private enqueue(message: UsageMessage, json: string): void {
    if ((this.pendingChars + json.length + 1) * MAX_UTF8_PER_CHAR > maxPayloadOf(this.nc) - HEADROOM_BYTES)
      this.sendNow();
    this.pending.push({ message, json });
    this.pendingChars += json.length + 1;
    if (this.pending.length >= MAX_BATCH_CALLS) this.sendNow();
    else if (this.batchMs <= 0) this.immediate ??= setImmediate(this.sendNow);
    else if (!this.timer) {
      this.timer = setTimeout(this.sendNow, this.batchMs);
      this.timer.unref();
    }
  }

  /**
   * Sends what waits: when its window closes, and at once before anything that tells policy a call's
   * usage ahead of its durable copy (an early settlement, a lease handed back with its calls' usage).
   */
  readonly sendNow = (): void => {
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.pendingChars = 0;
    if (batch.length === 1 || this.batchMs < 0) for (const p of batch) this.track(this.send(p.message, true, p.json));
    else this.track(this.sendBatch(batch));
  };

  /**
   * Publishes a message that is not this process's own call (a recovered one); resolves whether JetStream stored it.
   */
  deliver(message: UsageMessage): Promise<boolean> {
    return this.track(this.send(message, false));
  }

  private track(sending: Promise<boolean>): Promise<boolean> {
    this.inFlight.add(sending);
    void sending.then(() => this.inFlight.delete(sending));
    return sending;
  }

  async flush(timeoutMs: number): Promise<void> {
    this.sendNow();
    if (this.inFlight.size === 0) return;
    await Promise.race([Promise.allSettled([...this.inFlight]), sleep(timeoutMs, undefined, { ref: false })]);
    if (this.inFlight.size > 0)
      this.logger.error({ pending: this.inFlight.size }, 'usage messages still unpublished at shutdown');
  }

  /** One call's usage on its own, msgID = its request id. */
  private async send(message: UsageMessage, own: boolean, json = JSON.stringify(message)): Promise<boolean> {
    const stored = await this.publishRetrying(
      { msgID: message.requestId, json, keepTrying: own },
      () => JSON.stringify({ ...message, recovered: true }),
      { requestId: message.requestId, keyId: message.keyId },
    );
    if (stored && own) this.onAcked(message.requestId);
    return stored;
  }

  /** Several calls in one message, msgID = the batch's own id (a retry of the batch is stored once). */
  private async sendBatch(batch: Pending[]): Promise<boolean> {
    const stored = await this.publishRetrying(
      { msgID: `usage-batch.${randomUUID()}`, json: `[${batch.map((p) => p.json).join(',')}]`, keepTrying: true },
      () => JSON.stringify(batch.map((p) => ({ ...p.message, recovered: true }))),
      { requestIds: batch.slice(0, 5).map((p) => p.message.requestId), calls: batch.length },
    );
    if (stored) for (const p of batch) this.onAcked(p.message.requestId);
    return stored;
  }

  /**
   * Publishes until JetStream stores it. The first retries stay inside the duplicate window; past
   * them the payload is flagged `recovered`, as a copy may then land twice. This process's own calls
   * (`keepTrying`) are retried while it lives; a recovered one gives up after the backoff.
   */
  private async publishRetrying(
    { msgID, json, keepTrying }: { msgID: string; json: string; keepTrying: boolean },
    recoveredJson: () => string,
    about: object,
  ): Promise<boolean> {
    let payload = json;
    for (let attempt = 0; ; attempt++) {
      try {
        await publishDurableJson(this.nc, Subjects.usage, payload, msgID);
        return true;
      } catch (err) {
        if (this.nc.isClosed() || (!keepTrying && attempt >= BACKOFF_MS.length)) {
          this.logger.error(
            { ...about, attempts: attempt + 1, err: (err as Error).message },
            'usage message could not be published; it stays in the usage spool',
          );
          return false;
        }
        if (attempt === BACKOFF_MS.length) {
          this.logger.error(
            { ...about, attempts: attempt + 1, err: (err as Error).message },
            'usage message not published yet; still retrying',
          );
          payload = recoveredJson();
        }
        await sleep(BACKOFF_MS[attempt] ?? LATE_RETRY_MS, undefined, { ref: false });
      }
    }
  }
}
