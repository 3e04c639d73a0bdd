import { Empty, type Msg, type NatsConnection } from '@nats-io/transport-node';
import type { ReplyPart } from '@sluice/contracts';
import { newInbox } from './connection';
import { maxPayloadOf, respondSafely, type ReplyLogger } from './respond';

// Room for the part's envelope and the reply's protocol headers.
const ENVELOPE_BYTES = 256;

/**
 * Answers `msg` with `items` split into as many replies as the server's max_payload requires, each
 * a `ReplyPart`; the asker collects them with `requestAllParts`. An item larger than a message on
 * its own is not sent (logged): its part is then missing, and the asker says so.
 */
export function respondInParts(
  nc: NatsConnection,
  msg: Msg,
  from: string,
  items: readonly unknown[],
  logger?: ReplyLogger,
): void {
  const budget = maxPayloadOf(nc) - ENVELOPE_BYTES - Buffer.byteLength(from);
  const parts: string[][] = [[]];
  let size = 0;
  for (const item of items) {
    const json = JSON.stringify(item);
    const bytes = Buffer.byteLength(json) + 1;
    if (size + bytes > budget && parts[parts.length - 1].length > 0) {
      parts.push([]);
      size = 0;
    }
    parts[parts.length - 1].push(json);
    size += bytes;
  }
  const head = JSON.stringify(from);
  for (const [i, part] of parts.entries()) {
    respondSafely(
      nc,
      msg,
      `{"from":${head},"part":${i + 1},"parts":${parts.length},"items":[${part.join(',')}]}`,
      logger,
    );
  }
}

export interface AllPartsOptions {
  /** How long to collect replies from responders that may exist. */
  maxWaitMs: number;
  /** How long, at most, to wait for the missing parts of a responder that has begun answering. */
  completeWithinMs: number;
}

export interface AllParts<T> {
  items: T[];
  /** Responders that answered. */
  responders: number;
  /** Responders with parts still missing when the wait ended (their items are included anyway). */
  incomplete: number;
}

/**
 * Asks every responder on `subject` and collects every part of every reply: for `maxWaitMs`, then
 * on while a responder that has answered has parts missing, up to `completeWithinMs`. Resolves at
 * once when no one listens on the subject.
 */
export function requestAllParts<T>(nc: NatsConnection, subject: string, opts: AllPartsOptions): Promise<AllParts<T>> {
  return new Promise((resolve) => {
    const responders = new Map<string, { parts: number; got: Map<number, T[]> }>();
    let waited = false;
    let done = false;
    const complete = () => [...responders.values()].every((r) => r.got.size >= r.parts);
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(first);
      clearTimeout(last);
      sub.unsubscribe();
      const all = [...responders.values()];
      resolve({
        items: all.flatMap((r) => [...r.got.values()].flat()),
        responders: all.length,
        incomplete: all.filter((r) => r.got.size < r.parts).length,
      });
    };
    const sub = nc.subscribe(newInbox(nc), {
      callback: (err, msg) => {
        if (err) return;
        // The server's "no responders" status: nobody listens on the subject.
        if (msg.data.length === 0 && msg.headers?.status === '503') return finish();
        const part = partOf<T>(msg);
        if (!part) return;
        const seen = responders.get(part.from) ?? { parts: part.parts, got: new Map<number, T[]>() };
        seen.got.set(part.part, part.items);
        responders.set(part.from, seen);
        if (waited && complete()) finish();
      },
    });
    const first = setTimeout(() => {
      waited = true;
      if (complete()) finish();
    }, opts.maxWaitMs);
    const last = setTimeout(finish, Math.max(opts.maxWaitMs, opts.completeWithinMs));
    try {
      nc.publish(subject, Empty, { reply: sub.getSubject() });
    } catch {
      finish();
    }
  });
}

function partOf<T>(msg: Msg): ReplyPart<T> | undefined {
  try {
    const p = msg.json<ReplyPart<T>>();
    const valid =
      typeof p?.from === 'string' &&
      Number.isInteger(p.part) &&
      Number.isInteger(p.parts) &&
      p.part >= 1 &&
      p.part <= p.parts &&
      Array.isArray(p.items);
    return valid ? p : undefined;
  } catch {
    return undefined;
  }
}
