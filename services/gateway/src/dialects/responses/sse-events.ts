import { HeldSseEvent } from '../../providers/held-sse-event';
import { SseFraming } from '../../providers/sse-framing';
import { MAX_SSE_EVENT_BYTES, SseEventTooLarge } from '../../providers/sse-event-bound';

const DATA = Buffer.from('data:');

const NONE: Buffer[] = [];

/**
 * Splits an SSE byte stream into whole events as chunks arrive (an event may span chunks; a
 * partial one is held back). Each event is returned with its terminating blank line. A partial
 * event held past `maxEventBytes` makes `push` throw SseEventTooLarge, once its bytes are given to
 * `overflow` (the upstream generated, and bills, what it holds).
 */
export class SseEvents {
  private readonly partial = new HeldSseEvent();
  private readonly framing = new SseFraming();

  constructor(
    private readonly maxEventBytes = MAX_SSE_EVENT_BYTES,
    private readonly overflow: (partial: Buffer) => void = () => {},
  ) {}

  push(chunk: Buffer): Buffer[] {
    const joined = this.partial.append(chunk, this.framing.endsIn);
    if (joined === null) return this.checkHeld();
    const buf = joined.buf;
    const events: Buffer[] = [];
    let pos = 0;
    for (let end = this.framing.boundary(buf, joined.from); end >= 0; end = this.framing.boundary(buf, pos)) {
      const next = end + this.framing.end.length;
      events.push(buf.subarray(pos, next));
      pos = next;
    }
    if (pos < buf.length) this.partial.hold(pos === 0 ? buf : buf.subarray(pos));
    this.checkHeld();
    return events;
  }

  /** The last event, when the stream ended without its blank line. */
  flush(): Buffer | null {
    if (this.partial.length === 0) return null;
    const rest = this.partial.take();
    if (rest.toString('utf8').trim() === '') return null;
    return Buffer.concat([rest, this.framing.end]);
  }

  private checkHeld(): Buffer[] {
    if (this.partial.length <= this.maxEventBytes) return NONE;
    this.overflow(this.partial.take());
    throw new SseEventTooLarge(this.maxEventBytes);
  }
}

/** The `data:` payload of one event (its lines joined), or null when it has none. */
export function dataOf(event: Buffer): string | null {
  const at = event.indexOf(DATA);
  if (at < 0) return null;
  const text = event.toString('utf8', at);
  let data = '';
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    data += (data ? '\n' : '') + line.slice(line[5] === ' ' ? 6 : 5);
  }
  return data;
}
