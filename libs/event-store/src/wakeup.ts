/** Lets one waiting loop sleep until a timeout or an explicit wake, whichever comes first. */
export class Wakeup {
  #pending = false;
  #resolve: (() => void) | null = null;

  /** Resolves after `ms`, or at once when woken since the last wait ended. */
  wait(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#resolve = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#resolve = done;
    });
  }

  wake(): void {
    if (this.#resolve) this.#resolve();
    else this.#pending = true;
  }
}
