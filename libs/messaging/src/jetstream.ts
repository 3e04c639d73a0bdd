import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
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
