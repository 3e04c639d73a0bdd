/**
 * JetStream drops a repeated usage message (same call id) within its two-minute window; this
 * covers a repeat that arrives a little later than that (the least a process remembers).
 */
export const SETTLED_MEMORY_MS = 5 * 60_000;

/** Call ids remembered for a while (settled, cancelled), so a late copy of one is recognised. */
export class RememberedCalls {
  readonly #since = new Map<string, number>();

  has(callId: string): boolean {
    return this.#since.has(callId);
  }

  add(callId: string, now: number): void {
    this.#since.set(callId, now);
  }

  /** Forgets the calls remembered longer than `memoryMs`. */
  forget(now: number, memoryMs: number): void {
    // Insertion order is time order: stop at the first entry still worth remembering.
    for (const [callId, at] of this.#since) {
      if (now - at <= memoryMs) break;
      this.#since.delete(callId);
    }
  }
}
