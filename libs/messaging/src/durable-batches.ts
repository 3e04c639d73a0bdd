import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeadLetterSource } from './jetstream';

/** What the handler of a batch decided, message by message. */
export interface BatchOutcome {
  /** Messages handed back for a later delivery (nak, counted against `maxDeliver`); the rest are acked. */
  retry?: readonly JsMsg[];
}

export interface DurableBatchConsumerOptions {
  stream: string;
  durable: string;
  filterSubject?: string;
  /** How many unacknowledged messages may be in flight: the consumer's concurrency bound. */
  maxAckPending?: number;
  ackWaitMs?: number;
  /** JetStream delivers a message at most this many times; then `onMaxDeliveries` is told. */
  maxDeliver?: number;
  /** The most messages handed to one handler call. */
  maxBatch?: number;
  /**
   * How long a partial batch waits for more messages before it is handled anyway (unless `flushNow`);
   * at most a third of `ackWaitMs`.
   */
  maxWaitMs?: number;
  handler: (msgs: JsMsg[]) => Promise<BatchOutcome> | Promise<void>;
  /**
   * Whether a failure of the handler means "not now" (a database that is down) rather than "not
   * these messages". Such a batch is kept and handed to the handler again, with backoff, until it
   * succeeds, without using up deliveries; after any other failure the whole batch is nakked.
   */
  retryInPlace?: (err: Error) => boolean;
  /** `attempt` counts the failures of this batch in a row, from 0. */
  onError?: (err: Error, msgs: JsMsg[], attempt: number) => void;
  /** A message JetStream will not deliver again (its `maxDeliver` reached), as the stream holds it. */
  onMaxDeliveries?: (msg: DeadLetterSource) => Promise<void>;
}

export interface DurableBatchConsumer {
  /**
   * Hands what the consumer holds to the handler now instead of at the end of `maxWaitMs`, and so the
   * next message too if none is held: for a reader that waits for the consumer to catch up.
   */
  flushNow(): void;
  stop(): Promise<void>;
}

const NAK_DELAY_MS = 500;
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 1000;

/**
 * A durable pull consumer with explicit acks, that hands its handler whatever has arrived, up to `maxBatch`, waiting at
 * most `maxWaitMs` for a batch to fill. After the handler returns, the batch is acked except the
 * messages it hands back (nakked); if it throws, the batch is retried in place or nakked (see
 * `retryInPlace`), so the handler must make a replay of any of its messages a no-op.
 */
export async function consumeDurableBatches(
  nc: NatsConnection,
  opts: DurableBatchConsumerOptions,
): Promise<DurableBatchConsumer> {
  const maxBatch = opts.maxBatch ?? 256;
  // Room for a second batch to arrive while the first is being handled.
  const maxAckPending = opts.maxAckPending ?? maxBatch * 2;
  const ackWaitMs = opts.ackWaitMs ?? 10_000;
  // A message held for its batch must be acked well within the ack wait, or JetStream redelivers it
  // while it waits (a second copy in the batch, a delivery used up).
  const maxWaitMs = Math.min(opts.maxWaitMs ?? 5, ackWaitMs / 3);
  const jsm = await jetstreamManager(nc);
  const bounds = {
    max_ack_pending: maxAckPending,
    ack_wait: ackWaitMs * 1_000_000,
    ...(opts.maxDeliver ? { max_deliver: opts.maxDeliver } : {}),
  };
  const config = {
    durable_name: opts.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: opts.filterSubject,
    ...bounds,
  };
  await jsm.consumers.add(opts.stream, config).catch(async (err) => {
    await jsm.consumers.info(opts.stream, opts.durable).catch(() => Promise.reject(err));
    // An existing durable keeps its old bounds unless it is updated.
    await jsm.consumers.update(opts.stream, opts.durable, bounds).catch(() => {});
  });
  const advisories =
    opts.onMaxDeliveries && watchMaxDeliveries(nc, opts.stream, opts.durable, opts.onMaxDeliveries, opts.onError);
  const consumer = await jetstream(nc).consumers.get(opts.stream, opts.durable);
  const messages = await consumer.consume({ max_messages: maxAckPending });

  const buffer: JsMsg[] = [];
  let closed = false;
  let flushing = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const waitFor = (ms?: number) =>
    new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
      wake = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });

  const pump = (async () => {
    for await (const msg of messages) {
      buffer.push(msg);
      if (buffer.length === 1 || buffer.length >= maxBatch) notify();
    }
  })().finally(() => {
    closed = true;
    notify();
  });

  // JetStream redelivers what is not acked within the ack wait, and each delivery counts against
  // maxDeliver; so while a batch is handled or held for a retry, it and the messages queued behind it
  // are marked in progress, and only a crash or a nak uses up a delivery.
  const markWorking = (batch: JsMsg[]) => {
    try {
      for (const msg of batch) msg.working();
      for (const msg of buffer) msg.working();
    } catch {
      // The connection is closing: JetStream redelivers after the ack wait, as after a crash.
    }
  };
  /** The messages to hand back (nak); the rest of the batch is acked. */
  const outcomeOf = async (batch: JsMsg[]): Promise<ReadonlySet<JsMsg>> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return new Set((await opts.handler(batch))?.retry ?? []);
      } catch (err) {
        opts.onError?.(err as Error, batch, attempt);
        if (closed || !opts.retryInPlace?.(err as Error)) return new Set(batch);
        // Held, not nakked: a long outage must not use up deliveries.
        await sleep(Math.min(RETRY_FIRST_MS * 2 ** attempt, RETRY_MAX_MS));
      }
    }
  };
  const handle = async (batch: JsMsg[]): Promise<void> => {
    const keepAlive = setInterval(() => markWorking(batch), ackWaitMs / 3);
    const retry = await outcomeOf(batch).finally(() => clearInterval(keepAlive));
    try {
      for (const msg of batch)
        if (retry.has(msg)) msg.nak(NAK_DELAY_MS);
        else msg.ack();
    } catch {
      // The connection is closing: what was not acked is redelivered after the ack wait.
    }
  };

  const done = (async () => {
    for (;;) {
      if (buffer.length === 0) {
        if (closed) return;
        await waitFor();
        continue;
      }
      if (buffer.length < maxBatch && !closed && !flushing) await waitFor(maxWaitMs);
      flushing = false;
      await handle(buffer.splice(0, maxBatch));
    }
  })();

  return {
    flushNow() {
      flushing = true;
      notify();
    },
    async stop() {
      await messages.close();
      await pump;
      await done;
      advisories?.unsubscribe();
    },
  };
}

/** JetStream's advisory, published when it gives up on a message of this consumer, and the message it names. */
function watchMaxDeliveries(
  nc: NatsConnection,
  stream: string,
  durable: string,
  onMaxDeliveries: (msg: DeadLetterSource) => Promise<void>,
  onError?: (err: Error, msgs: JsMsg[], attempt: number) => void,
): { unsubscribe(): void } {
  const deliver = async (seq: number) => {
    const stored = await (await jetstreamManager(nc)).streams.getMessage(stream, { seq });
    if (!stored)
      throw new Error(`message ${seq} of ${stream} reached its delivery limit and is no longer in the stream`);
    await onMaxDeliveries({ subject: stored.subject, seq, data: stored.data });
  };
  return nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${durable}`, {
    callback: (err, msg) => {
      if (err) return;
      try {
        const seq = (msg.json() as { stream_seq?: unknown }).stream_seq;
        if (typeof seq === 'number') deliver(seq).catch((e: Error) => onError?.(e, [], 0));
      } catch (e) {
        onError?.(e as Error, [], 0);
      }
    },
  });
}
