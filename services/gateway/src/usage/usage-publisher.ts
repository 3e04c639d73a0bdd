import type { NatsConnection } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { Subjects, type UsageMessage } from '@sluice/contracts';
import { publishDurable } from '@sluice/messaging';
import type { Logger } from '@sluice/service';

// The first retries stay well inside JetStream's two-minute duplicate window, so a publish that did
// land but whose ack was lost is deduplicated by its msgID (the request id). After them the message
// keeps being retried every 30 s while the process lives (a long NATS outage must not leave usage
// waiting for the next restart), flagged `recovered`: past the window a copy may land twice, and
// metering (unique request id) and policy (late-duplicate lookup) then count it once.
const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000, 15000, 15000, 15000];
const LATE_RETRY_MS = 30_000;
/** The longest a response waits for NATS to confirm an early settlement (one round trip, ~0.5 ms). */
const SETTLE_CONFIRM_MS = 200;

/**
 * Publishes one usage message per call to JetStream without delaying the response: the caller
 * hands the message over and moves on; failures are retried with backoff while the process
 * lives, then logged (the message holds no secret) and left in the usage spool for the next
 * start. `flush` lets shutdown wait for what is in flight.
 */
export class UsagePublisher {
  private readonly inFlight = new Set<Promise<boolean>>();
  private batch: UsageMessage[] = [];
  /** Messages settleNow already published, which `publish` then skips. */
  private readonly sentEarly = new WeakSet<UsageMessage>();
  private scheduled = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
    /** JetStream stored the call's usage (the spool records it, so a restart does not send it again). */
    private readonly onAcked: (callId: string) => void = () => {},
  ) {}

  /**
   * Hands policy the usage of a call that holds a reservation over core NATS, before the response's
   * last bytes leave, so a client that calls again at once finds its previous call settled, not still
   * holding its worst case. nats.js writes what was published in a microtask queued by the first
   * publish of a turn; yielding once lets that write happen here, so the settlement (and the JetStream
   * copy, in the same socket write) is in NATS's socket buffer before the client can have its answer:
   * its next call through this gateway travels the same connection behind it. Through another
   * gateway it would have to overtake a message sent before it — which a busy machine can make
   * happen, so when policy says the key is near a limit (`confirm`) the settlement is also confirmed
   * by a PING's round trip (bounded: a slow or absent NATS delays no response by more than
   * SETTLE_CONFIRM_MS, and the JetStream message settles the call then). Elsewhere that round trip
   * would cost every call ~0.5 ms for no decision it could change.
   */
  async settleNow(message: UsageMessage, confirm = false): Promise<void> {
    try {
      if (this.nc.isClosed() || this.nc.isDraining()) return;
      this.nc.publish(Subjects.rpc.policySettle, JSON.stringify(message));
      // The JetStream copy now too: it leaves in the same socket write as the settlement (and the
      // PING; one write instead of two: a loopback write is the costliest step of a call).
      this.sentEarly.add(message);
      this.track(this.send(message, true));
      if (confirm) await Promise.race([this.nc.flush(), sleep(SETTLE_CONFIRM_MS, undefined, { ref: false })]);
      else await null;
    } catch {
      // The response never waits on this path failing: JetStream's copy settles the call.
    }
  }

  publish(message: UsageMessage): void {
    if (this.sentEarly.delete(message)) return; // published by settleNow
    this.batch.push(message);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.sendBatch);
    }
  }

  // Messages finished in the same event-loop turn go out together, after the responses were written.
  private readonly sendBatch = (): void => {
    const batch = this.batch;
    this.batch = [];
    this.scheduled = false;
    for (const message of batch) this.track(this.send(message, true));
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
    this.sendBatch();
    if (this.inFlight.size === 0) return;
    await Promise.race([Promise.allSettled([...this.inFlight]), sleep(timeoutMs, undefined, { ref: false })]);
    if (this.inFlight.size > 0)
      this.logger.error({ pending: this.inFlight.size }, 'usage messages still unpublished at shutdown');
  }

  private async send(message: UsageMessage, own: boolean): Promise<boolean> {
    let payload = message;
    for (let attempt = 0; ; attempt++) {
      try {
        await publishDurable(this.nc, Subjects.usage, payload, message.requestId);
        if (own) this.onAcked(message.requestId);
        return true;
      } catch (err) {
        if (this.nc.isClosed() || (!own && attempt >= BACKOFF_MS.length)) {
          this.logger.error(
            { requestId: message.requestId, keyId: message.keyId, attempts: attempt + 1, err: (err as Error).message },
            'usage message could not be published; it stays in the usage spool',
          );
          return false;
        }
        if (attempt === BACKOFF_MS.length) {
          this.logger.error(
            { requestId: message.requestId, keyId: message.keyId, attempts: attempt + 1, err: (err as Error).message },
            'usage message not published yet; still retrying',
          );
          payload = { ...message, recovered: true };
        }
        await sleep(BACKOFF_MS[attempt] ?? LATE_RETRY_MS, undefined, { ref: false });
      }
    }
  }
}
