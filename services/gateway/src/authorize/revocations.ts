/** Longer than any authorize request waits for its reply. */
const REVOCATION_MEMORY_MS = 10_000;

/**
 * When policy last revoked a key's leases, or every lease (performance.now()): a reply to a
 * request sent before then may carry a lease policy granted before applying the revocation, and
 * must not be spent. Kept for longer than any request waits, then forgotten.
 */
export class Revocations {
  /** By key, in time order (a key revoked again is re-inserted last). */
  readonly #byKey = new Map<string, number>();
  #all = Number.NEGATIVE_INFINITY;

  record(keyId: string | undefined, all: boolean, now: number): void {
    this.#forget(now);
    if (all) this.#all = now;
    else if (keyId !== undefined) {
      this.#byKey.delete(keyId);
      this.#byKey.set(keyId, now);
    }
  }

  /** Whether `keyId`'s leases (or all) were revoked at or after `sentAt`. */
  since(keyId: string, sentAt: number): boolean {
    return this.#all >= sentAt || (this.#byKey.get(keyId) ?? Number.NEGATIVE_INFINITY) >= sentAt;
  }

  #forget(now: number): void {
    for (const [keyId, at] of this.#byKey) {
      if (now - at < REVOCATION_MEMORY_MS) break; // insertion order is time order
      this.#byKey.delete(keyId);
    }
  }
}
