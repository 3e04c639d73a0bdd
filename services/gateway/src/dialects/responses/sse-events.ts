const LF2 = Buffer.from('\n\n');
const CRLF2 = Buffer.from('\r\n\r\n');
const DATA = Buffer.from('data:');

/**
 * Splits an SSE byte stream into whole events as chunks arrive (an event may span chunks; a
 * partial one is held back). Each event is returned with its terminating blank line.
 */
export class SseEvents {
  private pending: Buffer | null = null;
  private crlf = false;

  push(chunk: Buffer): Buffer[] {
    const buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    const events: Buffer[] = [];
    let pos = 0;
    for (;;) {
      const end = this.boundary(buf, pos);
      if (end < 0) break;
      const next = end + (this.crlf ? CRLF2.length : LF2.length);
      events.push(buf.subarray(pos, next));
      pos = next;
    }
    this.pending = pos < buf.length ? buf.subarray(pos) : null;
    return events;
  }

  /** The last event, when the stream ended without its blank line. */
  flush(): Buffer | null {
    const rest = this.pending;
    this.pending = null;
    if (rest === null || rest.toString('utf8').trim() === '') return null;
    return Buffer.concat([rest, this.crlf ? CRLF2 : LF2]);
  }

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
