import { HeldSseEvent } from '../../providers/held-sse-event';
import { SseFraming } from '../../providers/sse-framing';
import { MAX_SSE_EVENT_BYTES, SseEventTooLarge } from '../../providers/sse-event-bound';
import { GeneratedText } from '../../usage/generated-text';

const DATA = Buffer.from('data:');
const DONE = Buffer.from('[DONE]');
const USAGE = Buffer.from('"usage":');
const USAGE_NULL = Buffer.from(',"usage":null');

/** What becomes of one whole event: passed on as it came, cut out, or passed on without OpenAI's `"usage":null`. */
export const KEEP = 0;
export const DROP = 1;
const STRIP_NULL = 2;

/**
 * Reads an upstream SSE byte stream event by event without re-serialising it: complete events are
 * passed on as the same bytes, only the event carrying usage is parsed. When the client did not
 * ask for usage, the usage-only event (`choices: []`) and the `"usage":null` that include_usage
 * adds to every other chunk are cut out, so the client sees what OpenAI would have sent it. The
 * upstream's `[DONE]` is not passed on: the relay ends the stream with its own, after settling.
 * A partial event is held back until its end arrives, up to `maxEventBytes`: past that, `push`
 * throws SseEventTooLarge, the partial event's text counted as generated (the upstream billed it).
 */
export class SseScanner {
  /** The last `usage` object the upstream sent, if any. */
  usage: unknown = undefined;
  private readonly partial = new HeldSseEvent();
  private readonly framing = new SseFraming();

  constructor(
    private readonly clientWantsUsage: boolean,
    private readonly maxEventBytes = MAX_SSE_EVENT_BYTES,
    /** The generated text seen, for an estimate when no usage arrives. */
    readonly generated = new GeneratedText(),
  ) {}

  /** The bytes to forward for this upstream chunk: whole events only; null when there are none yet. */
  push(chunk: Buffer): Buffer | null {
    const joined = this.partial.append(chunk, this.framing.endsIn);
    if (joined === null) return this.checkHeld();
    const buf = joined.buf;
    let pos = 0;
    let emittedTo = 0;
    let parts: Buffer[] | null = null;
    for (let end = this.framing.boundary(buf, joined.from); end >= 0; end = this.framing.boundary(buf, pos)) {
      const next = end + this.framing.end.length;
      const action = this.inspect(buf.subarray(pos, end));
      if (action !== KEEP) {
        parts ??= [];
        if (pos > emittedTo) parts.push(buf.subarray(emittedTo, pos));
        if (action === STRIP_NULL) {
          const at = buf.indexOf(USAGE_NULL, pos);
          parts.push(buf.subarray(pos, at), buf.subarray(at + USAGE_NULL.length, next));
        }
        emittedTo = next;
      }
      pos = next;
    }
    if (pos < buf.length) this.partial.hold(pos === 0 ? buf : buf.subarray(pos));
    // One pass over all complete events rather than one per event: a string never spans events.
    if (pos > 0) this.generated.scan(pos === buf.length ? buf : buf.subarray(0, pos));
    this.checkHeld();
    if (parts === null) return pos === 0 ? null : pos === buf.length ? buf : buf.subarray(0, pos);
    if (pos > emittedTo) parts.push(buf.subarray(emittedTo, pos));
    return parts.length === 0 ? null : Buffer.concat(parts);
  }

  /** At the end of the upstream: a last event that lacked its blank line, terminated. */
  flush(): Buffer | null {
    if (this.partial.length === 0) return null;
    const rest = this.partial.take();
    if (rest.toString('utf8').trim() === '') return null;
    this.partial.hold(rest);
    const out = this.push(this.framing.end);
    this.partial.take();
    return out;
  }

  /** An event held past the bound fails the call, its partial text counted as generated (the upstream billed it). */
  private checkHeld(): null {
    if (this.partial.length <= this.maxEventBytes) return null;
    this.generated.scan(this.partial.take());
    throw new SseEventTooLarge(this.maxEventBytes);
  }

  /**
   * One whole event (its bytes without the blank line): KEEP, DROP or STRIP_NULL. Other dialects read their own events
   * here.
   */
  protected inspect(event: Buffer): number {
    const data = event.compare(DATA, 0, DATA.length, 0, DATA.length) === 0 ? 0 : event.indexOf(DATA);
    if (data < 0) return KEEP;
    let start = data + DATA.length;
    if (event[start] === 0x20) start++;
    if (event.compare(DONE, 0, DONE.length, start, start + DONE.length) === 0) {
      // Held back: the relay writes [DONE] itself, once the call is settled (see relaySse).
      return DROP;
    }
    const usageAt = event.indexOf(USAGE, start);
    if (usageAt < 0) return KEEP;
    let v = usageAt + USAGE.length;
    while (event[v] === 0x20) v++;
    if (event[v] === 0x6e) return !this.clientWantsUsage && event.indexOf(USAGE_NULL, start) >= 0 ? STRIP_NULL : KEEP;
    let chunk: { usage?: unknown; choices?: unknown };
    try {
      chunk = JSON.parse(event.toString('utf8', start));
    } catch {
      return KEEP;
    }
    if (chunk.usage !== null && chunk.usage !== undefined) this.usage = chunk.usage;
    const usageOnly = Array.isArray(chunk.choices) && chunk.choices.length === 0;
    return usageOnly && !this.clientWantsUsage ? DROP : KEEP;
  }
}
