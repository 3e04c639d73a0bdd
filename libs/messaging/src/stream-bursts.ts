import { jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { followStream, type FollowOptions } from './jetstream';

/**
 * Follows a stream as `followStream` does until it caught up, then reads what was stored since in a
 * burst every `everyMs` instead of keeping a consumer that pushes each message as it is stored: a
 * reader that only needs the stream as a backstop (another path brings it the news first) then
 * costs NATS and itself a few requests per burst, not a wake-up per message. Each burst is an
 * ordered consumer from the sequence after the last message handled, closed once it caught up (or
 * after `everyMs` without catching up: the stream's last messages may be ones the filter leaves
 * out); nothing is handled twice, nothing skipped. A failed burst (NATS away) is tried again at the
 * next one.
 */
export async function followStreamInBursts(
  nc: NatsConnection,
  opts: FollowOptions & { everyMs: number },
): Promise<{ caughtUp: Promise<void>; stop(): Promise<void> }> {
  const jsm = await jetstreamManager(nc);
  // Everything up to here is replayed before the first follower says it caught up.
  let next = (await jsm.streams.info(opts.stream)).state.last_seq + 1;
  const handler = (msg: JsMsg) => {
    if (msg.seq >= next) next = msg.seq + 1;
    return opts.handler(msg);
  };
  const stopping = new AbortController();
  const aborted = new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve()));
  const pause = (ms: number) => sleep(ms, undefined, { signal: stopping.signal, ref: false }).catch(() => {});
  let current: { caughtUp: Promise<void>; stop(): Promise<void> } | undefined = await followStream(nc, {
    ...opts,
    handler,
  });
  const { caughtUp } = current;
  const stopCurrent = async () => {
    const follower = current;
    current = undefined;
    await follower?.stop();
  };
  const loop = (async () => {
    await Promise.race([caughtUp, aborted]);
    while (!stopping.signal.aborted) {
      await stopCurrent();
      await pause(opts.everyMs);
      if (stopping.signal.aborted) return;
      try {
        if ((await jsm.streams.info(opts.stream)).state.last_seq < next) continue;
        const { startTime: _time, deliverNew: _new, ...rest } = opts;
        current = await followStream(nc, { ...rest, startSeq: next, handler });
        await Promise.race([current.caughtUp, pause(opts.everyMs)]);
      } catch {
        // NATS away or the stream being changed: the next burst starts from the same place.
      }
    }
  })();
  return {
    caughtUp,
    async stop() {
      stopping.abort();
      await loop;
      await stopCurrent();
    },
  };
}
