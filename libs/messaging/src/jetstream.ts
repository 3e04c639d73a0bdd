import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { toNatsHeaders, type TraceHeaders } from './headers';
import { RequestMux } from './request-mux';

const encoder = new TextEncoder();
const PUBLISH_TIMEOUT_MS = 5000;
/** JetStream's de-duplication header: a second message with the same id within the window is not stored. */
const MSG_ID_HEADER = 'Nats-Msg-Id';
const clients = new WeakMap<NatsConnection, JetStreamClient>();

/** One JetStream client per connection, made on first use. */
function jetstreamOf(nc: NatsConnection): JetStreamClient {
  let js = clients.get(nc);
  if (!js) clients.set(nc, (js = jetstream(nc)));
  return js;
}

/** Publishes to JetStream and waits for the stream's ack; `msgID` makes a retry a no-op. */
export function publishDurable(
  nc: NatsConnection,
  subject: string,
  payload: unknown,
  msgID: string,
  trace?: TraceHeaders,
): Promise<void> {
  return publishDurableJson(nc, subject, JSON.stringify(payload), msgID, trace);
}

/** publishDurable for a payload already written as JSON (a batch built from its parts' JSON). */
export async function publishDurableJson(
  nc: NatsConnection,
  subject: string,
  json: string,
  msgID: string,
  trace?: TraceHeaders,
): Promise<void> {
  const h = toNatsHeaders(trace) ?? natsHeaders();
  h.set(MSG_ID_HEADER, msgID);
  const reply = await RequestMux.of(nc).request(subject, encoder.encode(json), PUBLISH_TIMEOUT_MS, h);
  const ack = reply.json<{ stream?: string; error?: { code?: number; description?: string } }>();
  if (ack.error || !ack.stream)
    throw new Error(`JetStream did not store the message: ${ack.error?.description ?? 'no stream in its ack'}`);
}

/** Where a dead letter came from, as JetStream stored it. */
export interface DeadLetterSource {
  subject: string;
  seq: number;
  data: Uint8Array;
  /** The index of one item of a message that carries several (a batch), kept on its own: `data` is its bytes. */
  part?: number;
}

/**
 * Keeps a message that can never be processed, bytes untouched, on a dead-letter subject, with why
 * (`sluice-reason`) and where it came from (`sluice-subject`, `sluice-seq`, and `sluice-part` for one
 * item of a batch) in its headers. The msgID is the source position (`<subject>#<seq>` or
 * `<subject>#<seq>.<part>`), so keeping the same message twice within the stream's duplicate window
 * stores it once. Resolves false when JetStream already held it.
 */
export async function keepDeadLetter(
  nc: NatsConnection,
  subject: string,
  source: DeadLetterSource,
  reason: string,
): Promise<boolean> {
  const h = natsHeaders();
  h.set('sluice-reason', reason);
  h.set('sluice-subject', source.subject);
  h.set('sluice-seq', String(source.seq));
  let msgID = `${source.subject}#${source.seq}`;
  if (source.part !== undefined) {
    h.set('sluice-part', String(source.part));
    msgID += `.${source.part}`;
  }
  const ack = await jetstreamOf(nc).publish(subject, source.data, { msgID, headers: h, timeout: 5000 });
  return !ack.duplicate;
}

export interface FollowOptions {
  stream: string;
  filterSubject?: string;
  /** Start with the first message stored at or after this time instead of the stream's first. */
  startTime?: Date;
  /** Only messages stored from now on: the state comes from elsewhere (`caughtUp` resolves at once). */
  deliverNew?: boolean;
  /** Start with the message at this stream sequence (or the first after it the filter lets through). */
  startSeq?: number;
  handler: (msg: JsMsg) => void | Promise<void>;
  /**
   * With it, a message the handler fails on is reported here and skipped; without it, that failure
   * ends the follower (an unhandled rejection: the process stops rather than run on without it).
   */
  onError?: (err: Error, msg: JsMsg) => void;
}

/**
 * Follows a stream from its first message with an ordered (ephemeral) consumer. `caughtUp`
 * resolves once every message that existed at start has been handled, so a service can say
 * it is ready only when its state is current.
 */
export async function followStream(
  nc: NatsConnection,
  opts: FollowOptions,
): Promise<{ caughtUp: Promise<void>; stop(): Promise<void> }> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(opts.stream);
  const lastAtStart = info.state.last_seq;
  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
  if (info.state.messages === 0 || opts.deliverNew || (opts.startSeq !== undefined && opts.startSeq > lastAtStart))
    markCaughtUp();
  const deliver = opts.deliverNew
    ? { deliver_policy: DeliverPolicy.New }
    : opts.startSeq !== undefined
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: opts.startSeq }
      : opts.startTime
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: opts.startTime.toISOString() }
        : { deliver_policy: DeliverPolicy.All };
  const consumer = await jetstream(nc).consumers.get(opts.stream, {
    ...deliver,
    ...(opts.filterSubject ? { filter_subjects: opts.filterSubject } : {}),
  });
  const messages = await consumer.consume();
  // From a start time, the stream's last message may lie before it: nothing to catch up with.
  if (opts.startTime && (info.state.last_ts === undefined || Date.parse(info.state.last_ts) < opts.startTime.getTime()))
    markCaughtUp();
  const done = (async () => {
    for await (const msg of messages) {
      if (opts.onError) {
        try {
          await opts.handler(msg);
        } catch (err) {
          opts.onError(err as Error, msg);
        }
      } else {
        await opts.handler(msg);
      }
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

const CATCH_UP_POLL_MS = 2;

/**
 * Read-your-writes over a durable consumer: resolves true once it has acknowledged every message
 * the stream held when this was called (its ack floor reached the stream's last sequence), false
 * after `maxWaitMs`. A projection acks after it commits, so a reader that waited finds every message
 * published before it asked.
 */
export async function durableCaughtUp(
  nc: NatsConnection,
  stream: string,
  durable: string,
  maxWaitMs: number,
  /** Called before each look at the consumer: tells a consumer that lingers to hand over what it holds. */
  flush?: () => void,
): Promise<boolean> {
  const jsm = await jetstreamManager(nc);
  const deadline = performance.now() + maxWaitMs;
  const last = (await jsm.streams.info(stream)).state.last_seq;
  for (;;) {
    flush?.();
    const info = await jsm.consumers.info(stream, durable);
    if (info.ack_floor.stream_seq >= last || (info.num_pending === 0 && info.num_ack_pending === 0)) return true;
    if (performance.now() >= deadline) return false;
    await sleep(CATCH_UP_POLL_MS);
  }
}

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
