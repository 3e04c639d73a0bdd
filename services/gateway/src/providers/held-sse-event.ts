/** Enough bytes on each side of a chunk's start to find an event end (`\r\n\r\n`) split across it. */
const SEAM = 3;
const LF = 0x0a;
const CR = 0x0d;

/** Whether an event ends in `buf` (no side effect: the caller's own search then finds where). */
export type EndsIn = (buf: Buffer) => boolean;

/**
 * The bytes of an SSE event still arriving, kept as the chunks that brought them. A new chunk is
 * searched for an event end on its own (and across the seam with the held bytes), and joined to
 * them only once an event ends in it: an event of n bytes in pieces of k costs O(n) to frame, where
 * re-joining and re-searching the held bytes on every piece cost O(n²/k).
 */
export class HeldSseEvent {
  private chunks: Buffer[] = [];
  /** The bytes held. */
  length = 0;

  /**
   * `chunk` after the held bytes, as one buffer, and where to search it for its first event end
   * (the held bytes were searched already); or null when no event ends in the chunk, which is
   * then held too. Bytes of `buf` after its last event end must be given back with `hold`.
   */
  append(chunk: Buffer, endsIn: EndsIn): { buf: Buffer; from: number } | null {
    if (this.length === 0) return { buf: chunk, from: 0 };
    // An end split across the seam starts the chunk with its CR or LF.
    const seamCanEnd = chunk[0] === LF || chunk[0] === CR;
    if (!endsIn(chunk) && !(seamCanEnd && endsIn(this.seamWith(chunk)))) {
      this.hold(chunk);
      return null;
    }
    const from = Math.max(0, this.length - SEAM);
    return { buf: this.take(chunk), from };
  }

  /** Holds bytes that do not end an event yet. */
  hold(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  /** The held bytes (and `last`) as one buffer, no longer held. */
  take(last?: Buffer): Buffer {
    if (last !== undefined) this.chunks.push(last);
    const all =
      this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.length + (last?.length ?? 0));
    this.chunks = [];
    this.length = 0;
    return all;
  }

  /** The last SEAM held bytes and the first SEAM of `chunk`. */
  private seamWith(chunk: Buffer): Buffer {
    const seam = Buffer.alloc(Math.min(SEAM, this.length) + Math.min(SEAM, chunk.length));
    let at = seam.length - Math.min(SEAM, chunk.length);
    chunk.copy(seam, at, 0, SEAM);
    for (let i = this.chunks.length - 1; at > 0; i--) {
      const c = this.chunks[i];
      const n = Math.min(at, c.length);
      c.copy(seam, at - n, c.length - n);
      at -= n;
    }
    return seam;
  }
}
