const LF2 = Buffer.from('\n\n');
const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * Where SSE events end in a stream: at a blank line, `\n\n`, or `\r\n\r\n` once the stream has
 * shown that it uses CRLF (it is taken to keep the framing it started with).
 */
export class SseFraming {
  private crlf = false;

  /** The blank line that ends an event in this stream. */
  get end(): Buffer {
    return this.crlf ? CRLF2 : LF2;
  }

  /** Whether an event ends in `buf`, in either framing until the stream showed which it uses. */
  readonly endsIn = (buf: Buffer): boolean =>
    this.crlf ? buf.includes(CRLF2) : buf.includes(LF2) || buf.includes(CRLF2);

  /** Where the first event end in `buf` from `from` starts; -1 when there is none. */
  boundary(buf: Buffer, from: number): number {
    if (this.crlf) return buf.indexOf(CRLF2, from);
    const lf = buf.indexOf(LF2, from);
    if (lf >= 0) return lf;
    const crlf = buf.indexOf(CRLF2, from);
    if (crlf >= 0) this.crlf = true;
    return crlf;
  }
}
