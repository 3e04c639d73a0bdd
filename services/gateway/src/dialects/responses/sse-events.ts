import { HeldSseEvent } from '../../providers/held-sse-event';
import { MAX_SSE_EVENT_BYTES, SseEventTooLarge } from '../../providers/sse-event-bound';

const LF2 = Buffer.from('\n\n');
const CRLF2 = Buffer.from('\r\n\r\n');
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
  private crlf = false;

  constructor(
    private readonly maxEventBytes = MAX_SSE_EVENT_BYTES,
    private readonly overflow: (partial: Buffer) => void = () => {},
  ) {}

  push(chunk: Buffer): Buffer[] {
    const joined = this.partial.append(chunk, this.endsIn);
    if (joined === null) return this.checkHeld();
    const buf = joined.buf;
    const events: Buffer[] = [];
    let pos = 0;
    for (let end = this.boundary(buf, joined.from); end >= 0; end = this.boundary(buf, pos)) {
      const next = end + (this.crlf ? CRLF2.length : LF2.length);
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
    return Buffer.concat([rest, this.crlf ? CRLF2 : LF2]);
  }

  private checkHeld(): Buffer[] {
    if (this.partial.length <= this.maxEventBytes) return NONE;
    this.overflow(this.partial.take());
    throw new SseEventTooLarge(this.maxEventBytes);
  }

  /** Whether an event ends in `buf`, in either framing until the stream showed which it uses. */
  private readonly endsIn = (buf: Buffer): boolean =>
    this.crlf ? buf.includes(CRLF2) : buf.includes(LF2) || buf.includes(CRLF2);

  private boundary(buf: Buffer, from: number): number {
    if (this.crlf) return buf.indexOf(CRLF2, from);
    const lf = buf.indexOf(LF2, from);
    if (lf >= 0) return lf;
    const crlf = buf.indexOf(CRLF2, from);
    if (crlf >= 0) this.crlf = true;
    return crlf;
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
