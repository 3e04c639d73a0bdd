/**
 * A count over the last `windowMs`, kept in `buckets` equal slices (a ring). The window slides one
 * slice at a time, so any run of `buckets` consecutive slices holds at most the limit admitted
 * against it. Amounts can be added at a past instant (a call settled late, a rebuild from the
 * log) as long as that instant is still inside the window; older amounts have already expired.
 */
export class SlidingWindow {
  readonly #slice: number;
  /** Whole numbers (requests, tokens) per slice; float32 holds them exactly up to 16.7 million. */
  readonly #counts: Float32Array;
  /** Absolute index (time / slice) of the newest slice in the ring. */
  #head = -Infinity;
  /** The newest slice that received an amount: the window is empty once it has left. */
  #newest = -Infinity;
  #total = 0;

  constructor(
    readonly windowMs: number,
    buckets: number,
  ) {
    this.#slice = windowMs / buckets;
    this.#counts = new Float32Array(buckets);
  }

  add(at: number, amount: number): void {
    // One NaN would make the total NaN, and a window whose count is NaN refuses nothing.
    if (!Number.isFinite(at) || !Number.isFinite(amount)) return;
    const index = Math.floor(at / this.#slice);
    if (index > this.#head) this.#advance(index);
    if (index <= this.#head - this.#counts.length) return;
    const slot = index % this.#counts.length;
    // A removal takes out at most what the slice holds: a count is never negative.
    const applied = Math.max(amount, -this.#counts[slot]);
    this.#counts[slot] += applied;
    this.#total += applied;
    if (applied > 0 && index > this.#newest) this.#newest = index;
  }

  /** The amount inside the window that ends at `now`. */
  used(now: number): number {
    this.#advance(Math.floor(now / this.#slice));
    // Rounding can leave a hair below zero after removals; counts are never negative.
    return this.#total < 1e-9 ? 0 : this.#total;
  }

  /** Milliseconds from `now` until at least `amount` has left the window (0 if it is already free). */
  msUntilFreed(now: number, amount: number): number {
    this.#advance(Math.floor(now / this.#slice));
    if (amount <= 0) return 0;
    const n = this.#counts.length;
    let freed = 0;
    for (let age = n - 1; age >= 0; age--) {
      const index = this.#head - age;
      freed += this.#counts[((index % n) + n) % n];
      if (freed >= amount - 1e-9) return Math.max(0, Math.ceil((index + n) * this.#slice - now));
    }
    return Math.ceil((this.#head + n) * this.#slice - now);
  }

  /**
   * Milliseconds from `now` until everything in the window has left it: when the newest slice that
   * received anything leaves (read on every admission, for the reset headers, so it is O(1)).
   */
  msUntilEmpty(now: number): number {
    if (this.used(now) === 0) return 0;
    return Math.max(0, Math.ceil((this.#newest + this.#counts.length) * this.#slice - now));
  }

  #advance(index: number): void {
    if (index <= this.#head) return;
    const n = this.#counts.length;
    if (index - this.#head >= n) {
      this.#counts.fill(0);
      this.#total = 0;
    } else {
      for (let i = this.#head + 1; i <= index; i++) {
        const slot = i % n;
        this.#total -= this.#counts[slot];
        this.#counts[slot] = 0;
      }
    }
    this.#head = index;
  }
}
