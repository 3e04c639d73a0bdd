import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { toNatsHeaders, type TraceHeaders } from './headers';

const encoder = new TextEncoder();
const clients = new WeakMap<NatsConnection, JetStreamClient>();

/** One JetStream client per connection, made on first use. */
function jetstreamOf(nc: NatsConnection): JetStreamClient {
  let js = clients.get(nc);
  if (!js) clients.set(nc, (js = jetstream(nc)));
  return js;
}

/** Publishes to JetStream and waits for the stream's ack; `msgID` makes a retry a no-op. */
export async function publishDurable(nc: NatsConnection, subject: string, payload: unknown, msgID: string, trace?: TraceHeaders): Promise<void> {
  await jetstreamOf(nc).publish(subject, encoder.encode(JSON.stringify(payload)), {
    msgID,
    headers: toNatsHeaders(trace),
    timeout: 5000,
  });
}

export interface FollowOptions {
  stream: string;
  filterSubject?: string;
  /** Start with the first message stored at or after this time instead of the stream's first. */
  startTime?: Date;
  /** Only messages stored from now on: the state comes from elsewhere (`caughtUp` resolves at once). */
  deliverNew?: boolean;
  handler: (msg: JsMsg) => void | Promise<void>;
}

/**
 * Follows a stream from its first message with an ordered (ephemeral) consumer. `caughtUp`
 * resolves once every message that existed at start has been handled, so a service can say
 * it is ready only when its state is current.
 */
export async function followStream(nc: NatsConnection, opts: FollowOptions): Promise<{ caughtUp: Promise<void>; stop(): Promise<void> }> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(opts.stream);
  const lastAtStart = info.state.last_seq;
  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
  if (info.state.messages === 0 || opts.deliverNew) markCaughtUp();
  const deliver = opts.deliverNew
    ? { deliver_policy: DeliverPolicy.New }
    : opts.startTime
      ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: opts.startTime.toISOString() }
      : { deliver_policy: DeliverPolicy.All };
  const consumer = await jetstream(nc).consumers.get(opts.stream, {
    ...deliver,
    ...(opts.filterSubject ? { filter_subjects: opts.filterSubject } : {}),
  });
  const messages = await consumer.consume();
  // From a start time, the stream's last message may lie before it: nothing to catch up with.
  if (opts.startTime && (info.state.last_ts === undefined || Date.parse(info.state.last_ts) < opts.startTime.getTime())) markCaughtUp();
  const done = (async () => {
    for await (const msg of messages) {
      await opts.handler(msg);
      if (msg.seq >= lastAtStart || msg.info.pending === 0) markCaughtUp();
    }
  })();
  return {
    caughtUp,
    async stop() {
      await messages.close();
      await done;
    },
  };
}

export interface DurableBatchConsumerOptions {
  stream: string;
  durable: string;
  filterSubject?: string;
  /** How many unacknowledged messages may be in flight: the consumer's concurrency bound. */
  maxAckPending?: number;
  ackWaitMs?: number;
  /** The most messages handed to one handler call. */
  maxBatch?: number;
  /** How long a partial batch waits for more messages before it is handled anyway. */
  maxWaitMs?: number;
  handler: (msgs: JsMsg[]) => Promise<void>;
  onError?: (err: Error, msgs: JsMsg[]) => void;
}

/**
 * A durable pull consumer with explicit acks, that hands its handler whatever has arrived, up to `maxBatch`, waiting at
 * most `maxWaitMs` for a batch to fill. The whole batch is acked after the handler succeeds and
 * nakked if it throws, so the handler must make a replay of any of its messages a no-op.
 */
export async function consumeDurableBatches(nc: NatsConnection, opts: DurableBatchConsumerOptions): Promise<{ stop(): Promise<void> }> {
  const maxBatch = opts.maxBatch ?? 256;
  const maxWaitMs = opts.maxWaitMs ?? 5;
  // Room for a second batch to arrive while the first is being handled.
  const maxAckPending = opts.maxAckPending ?? maxBatch * 2;
  const jsm = await jetstreamManager(nc);
  const config = {
    durable_name: opts.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: opts.filterSubject,
    max_ack_pending: maxAckPending,
    ack_wait: (opts.ackWaitMs ?? 10_000) * 1_000_000,
  };
  await jsm.consumers.add(opts.stream, config).catch(async (err) => {
    await jsm.consumers.info(opts.stream, opts.durable).catch(() => Promise.reject(err));
    // An existing durable keeps its old bound unless it is updated.
    await jsm.consumers.update(opts.stream, opts.durable, { max_ack_pending: maxAckPending, ack_wait: config.ack_wait }).catch(() => {});
  });
  const consumer = await jetstream(nc).consumers.get(opts.stream, opts.durable);
  const messages = await consumer.consume({ max_messages: maxAckPending });

  const buffer: JsMsg[] = [];
  let closed = false;
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

  const done = (async () => {
    for (;;) {
      if (buffer.length === 0) {
        if (closed) return;
        await waitFor();
        continue;
      }
      if (buffer.length < maxBatch && !closed) await waitFor(maxWaitMs);
      const batch = buffer.splice(0, maxBatch);
      try {
        await opts.handler(batch);
        for (const msg of batch) msg.ack();
      } catch (err) {
        opts.onError?.(err as Error, batch);
        for (const msg of batch) msg.nak(500);
      }
    }
  })();

  return {
    async stop() {
      await messages.close();
      await pump;
      await done;
    },
  };
}
