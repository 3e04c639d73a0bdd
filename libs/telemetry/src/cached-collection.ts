/**
 * One collection at a time, its result kept for `cacheMs`: every scrape that arrives while a
 * collection runs waits for that one, and every scrape within `cacheMs` of its end gets its text.
 * A scrape renders every series (a gateway's 21,000 per-key series take ~170 ms of its event loop)
 * and admin-api's runs queries against Postgres and JetStream, so whoever reaches the port and
 * scrapes in a loop gets at most one collection per interval. A failed collection is not kept.
 */
export function cachedCollection<T>(
  collect: () => Promise<T>,
  cacheMs: number,
  now: () => number = Date.now,
): () => Promise<T> {
  let kept: { value: T; until: number } | undefined;
  let running: Promise<T> | undefined;
  return () => {
    if (kept && now() < kept.until) return Promise.resolve(kept.value);
    running ??= collect()
      .then((value) => {
        kept = { value, until: now() + cacheMs };
        return value;
      })
      .finally(() => (running = undefined));
    return running;
  };
}
