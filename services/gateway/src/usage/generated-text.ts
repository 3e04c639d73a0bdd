import type { GeneratedOutput } from '../usage/generated-output';

/** The fields an OpenAI-shaped stream writes generated text into. */
export const OPENAI_TEXT_FIELDS = ['"content":', '"text":', '"arguments":', '"reasoning_content":', '"refusal":'].map(
  (f) => Buffer.from(f),
);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const U = 0x75;

/**
 * The generated text of a stream, read from whole SSE events on the bytes (no JSON.parse per
 * chunk): the string values of the fields a model writes into (`content`, `text`, tool-call
 * `arguments`, reasoning, refusals). It counts characters, non-empty pieces (deltas) and an upper
 * bound of the UTF-8 bytes as it goes, and keeps the strings' raw (escaped) bytes in one growing
 * buffer, decoded only if the upstream sends no usage and a tokenizer must count them.
 */
export class GeneratedText implements GeneratedOutput {
  chars = 0;
  deltas = 0;
  bytes = 0;
  private raw: Buffer | null = null;
  private length = 0;

  /** `fields`: the JSON keys (`"text":`, as bytes) whose string values are generated text; OpenAI's by default. */
  constructor(private readonly fields: readonly Buffer[] = OPENAI_TEXT_FIELDS) {}

  scan(events: Buffer): void {
    for (const field of this.fields) {
      let at = events.indexOf(field);
      while (at >= 0) {
        let i = at + field.length;
        while (events[i] === 0x20) i++;
        if (events[i] === QUOTE) i = this.string(events, i + 1);
        at = events.indexOf(field, i);
      }
    }
  }

  texts(): string[] {
    if (this.length === 0) return [];
    try {
      return [JSON.parse(`"${this.raw!.toString('utf8', 0, this.length)}"`) as string];
    } catch {
      return [];
    }
  }

  /** One JSON string body from `start`: counted, and its bytes kept. Returns where it ends. */
  private string(buf: Buffer, start: number): number {
    let i = start;
    let chars = 0;
    let bytes = 0;
    while (i < buf.length) {
      const c = buf[i];
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        // \uXXXX is at most 3 UTF-8 bytes (a surrogate pair, two escapes, is 4); other escapes 1.
        const unicode = buf[i + 1] === U;
        i += unicode ? 6 : 2;
        bytes += unicode ? 3 : 1;
        chars++;
        continue;
      }
      if ((c & 0xc0) !== 0x80) chars++;
      bytes++;
      i++;
    }
    if (chars > 0) {
      this.chars += chars;
      this.bytes += bytes;
      this.deltas++;
      this.keep(buf, start, Math.min(i, buf.length));
    }
    return i;
  }

  private keep(buf: Buffer, start: number, end: number): void {
    const n = end - start;
    if (this.raw === null || this.length + n > this.raw.length) {
      const grown = Buffer.allocUnsafe(Math.max(256, (this.length + n) * 2));
      if (this.raw !== null) this.raw.copy(grown, 0, 0, this.length);
      this.raw = grown;
    }
    buf.copy(this.raw, this.length, start, end);
    this.length += n;
  }
}
