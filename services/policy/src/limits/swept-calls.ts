/** What a sweep charged a call: its late real report moves the charge to its real cost. */
export interface SweptCharge {
  keyId: string;
  costNanos: number;
  /** Tokens it added to the tokens-per-minute window, and when (the sweep's end). */
  tokens: number;
  endedAt: number;
  /** Where its charge went: the budget period it started in. */
  startedAt: number;
}

/**
 * JetStream drops a repeated usage message within two minutes; a swept call's real report can come
 * later than that (a stream held open past the reservation TTL), and a copy of that report later
 * still (a publish retried through an outage). Sweeps are rare, so both are remembered for hours.
 */
const SWEPT_MEMORY_MS = 6 * 3600_000;
const CORRECTED_MEMORY_MS = 24 * 3600_000;

/** Calls this process charged by a sweep, until their real report corrects the charge (once). */
export class SweptCalls {
  readonly #charged = new Map<string, SweptCharge & { at: number }>();
  readonly #corrected = new Map<string, number>();

  remember(callId: string, charge: SweptCharge, now: number): void {
    this.#charged.set(callId, { ...charge, at: now });
  }

  /** The sweep's charge, once: the caller corrects it; the call is then remembered as corrected. */
  take(callId: string, now: number): SweptCharge | undefined {
    const charge = this.#charged.get(callId);
    if (charge) this.markCorrected(callId, now);
    return charge;
  }

  markCorrected(callId: string, now: number): void {
    this.#charged.delete(callId);
    this.#corrected.set(callId, now);
  }

  awaitsReport(callId: string): boolean {
    return this.#charged.has(callId);
  }

  knows(callId: string): boolean {
    return this.#charged.has(callId) || this.#corrected.has(callId);
  }

  wasCorrected(callId: string): boolean {
    return this.#corrected.has(callId);
  }

  forget(now: number): void {
    for (const [memory, ms] of [
      [this.#charged, SWEPT_MEMORY_MS],
      [this.#corrected, CORRECTED_MEMORY_MS],
    ] as const) {
      // Insertion order is time order: stop at the first entry still worth remembering.
      for (const [callId, entry] of memory) {
        if (now - (typeof entry === 'number' ? entry : entry.at) <= ms) break;
        memory.delete(callId);
      }
    }
  }
}
