import { GeneratedText } from '../../../usage/generated-text';
import type { EventSource } from '../../../pipeline/event-relay';
import { dataOf, SseEvents } from '../sse-events';

const TERMINAL = new Set(['response.completed', 'response.failed', 'response.incomplete']);
const TYPE = /"type"\s*:\s*"([^"]+)"/;
const SEQUENCE = Buffer.from('"sequence_number"');
/** Where a stream's generated text shows: deltas, and the full text and arguments of `done` events. */
const GENERATED_FIELDS = ['"delta":', '"text":', '"arguments":', '"refusal":'].map((f) => Buffer.from(f));

/**
 * An upstream's own Responses events, passed on as the same bytes. Only what billing and the
 * store need is read: the response id (`response.created`), and the last event (`completed`,
 * `failed` or `incomplete`), whose usage is the bill; that event is held back and leaves after the
 * call is settled and the response stored. Generated text is tallied in case no usage comes.
 */
export class NativeEvents implements EventSource {
  responseId: string | null = null;
  /** The response object of the last event. */
  final: Record<string, unknown> | null = null;
  /** The last event's bytes, held back. */
  held: Buffer | null = null;
  /** The upstream sent an `error` event. */
  errored = false;
  lastSequence = -1;
  readonly generated = new GeneratedText(GENERATED_FIELDS);
  private readonly events: SseEvents;

  /** An event above `maxEventBytes` fails the stream, its partial text counted as generated. */
  constructor(maxEventBytes?: number) {
    this.events = new SseEvents(maxEventBytes, (partial) => this.generated.scan(partial));
  }

  push(chunk: Buffer): Buffer | null {
    return this.pass(this.events.push(chunk));
  }

  flush(): Buffer | null {
    const last = this.events.flush();
    return last === null ? null : this.pass([last]);
  }

  private pass(events: Buffer[]): Buffer | null {
    let out: Buffer[] | null = null;
    for (const event of events) {
      if (!this.inspect(event)) continue;
      (out ??= []).push(event);
    }
    return out === null ? null : out.length === 1 ? out[0] : Buffer.concat(out);
  }

  /**
   * The event's `sequence_number` (OpenAI writes it last, so it is looked for from the end), for an event Sluice
   * appends.
   */
  private noteSequence(event: Buffer): void {
    const at = event.lastIndexOf(SEQUENCE);
    if (at < 0) return;
    let i = at + SEQUENCE.length;
    while (event[i] === 0x20 || event[i] === 0x3a) i++;
    let n = 0;
    let digits = 0;
    for (; event[i] >= 0x30 && event[i] <= 0x39 && digits < 12; i++, digits++) n = n * 10 + (event[i] - 0x30);
    if (digits > 0 && n > this.lastSequence) this.lastSequence = n;
  }

  /** Whether the event goes on now. */
  private inspect(event: Buffer): boolean {
    // The type leads the event (its `event:` line or the data's first key): read only the start.
    const head = event.toString('latin1', 0, Math.min(event.length, 256));
    const type = /^event:\s*(\S+)/.exec(head)?.[1] ?? TYPE.exec(head)?.[1];
    this.noteSequence(event);
    if (type === 'response.created' || (type !== undefined && TERMINAL.has(type))) {
      const data = parseData(event);
      const response = data?.response as Record<string, unknown> | undefined;
      if (typeof response?.id === 'string') this.responseId ??= response.id;
      if (type !== 'response.created') {
        this.final = response ?? {};
        this.held = event;
        return false;
      }
    } else if (type === 'error') {
      this.errored = true;
    } else {
      this.generated.scan(event);
    }
    return true;
  }
}

const OUTPUT_FIELDS = ['"text":', '"arguments":', '"refusal":'].map((f) => Buffer.from(f));

/**
 * The generated text of a JSON response object (its output's text, arguments, refusals): read only when it reports no
 * usage.
 */
export function generatedOfResponse(bytes: Buffer): GeneratedText {
  const generated = new GeneratedText(OUTPUT_FIELDS);
  generated.scan(bytes);
  return generated;
}

function parseData(event: Buffer): Record<string, unknown> | null {
  try {
    const data = dataOf(event);
    return data === null ? null : (JSON.parse(data) as Record<string, unknown>);
  } catch {
    return null;
  }
}
