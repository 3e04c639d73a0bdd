/**
 * The version of each stream policy has applied, and callers waiting for one. Lets the admin API
 * answer a change only once policy enforces it: a revoke refuses the very next call, and a new
 * key works on its first call.
 */
export class AppliedVersions {
  readonly #versions = new Map<string, number>();
  readonly #waiters = new Map<string, { version: number; resolve: (applied: boolean) => void }[]>();

  /** The last version of `streamId` applied; 0 before its first event. */
  of(streamId: string): number {
    return this.#versions.get(streamId) ?? 0;
  }

  applied(streamId: string, version: number): void {
    if (version <= (this.#versions.get(streamId) ?? 0)) return;
    this.#versions.set(streamId, version);
    const waiting = this.#waiters.get(streamId);
    if (!waiting) return;
    const still = waiting.filter((w) => {
      if (w.version > version) return true;
      w.resolve(true);
      return false;
    });
    if (still.length) this.#waiters.set(streamId, still);
    else this.#waiters.delete(streamId);
  }

  /** Resolves true once `streamId` reaches `version`, false after `timeoutMs`. */
  waitFor(streamId: string, version: number, timeoutMs: number): Promise<boolean> {
    if ((this.#versions.get(streamId) ?? 0) >= version) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { version, resolve };
      const list = this.#waiters.get(streamId) ?? [];
      list.push(waiter);
      this.#waiters.set(streamId, list);
      setTimeout(() => {
        const current = this.#waiters.get(streamId);
        if (!current?.includes(waiter)) return;
        const rest = current.filter((w) => w !== waiter);
        if (rest.length) this.#waiters.set(streamId, rest);
        else this.#waiters.delete(streamId);
        resolve(false);
      }, timeoutMs).unref();
    });
  }
}
