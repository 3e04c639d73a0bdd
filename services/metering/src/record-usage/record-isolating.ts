/** An item that could not be recorded even alone, and the error that said so. */
export interface Unrecorded<T> {
  item: T;
  err: unknown;
}

/**
 * Records `items` with `record`; when that fails for what the items hold, records each half on
 * its own, down to single items, so every item that can be recorded is, in few transactions: one
 * bad item in 256 costs 17 attempts instead of 257 one by one, and the good halves stay multi-row
 * inserts. A failure that is not about the items (`aboutTheItems` false: the database is down) is
 * thrown, so the caller retries them all.
 */
export async function recordIsolating<T>(
  items: readonly T[],
  record: (items: readonly T[]) => Promise<unknown>,
  aboutTheItems: (err: unknown) => boolean,
): Promise<Unrecorded<T>[]> {
  if (items.length === 0) return [];
  try {
    await record(items);
    return [];
  } catch (err) {
    if (!aboutTheItems(err)) throw err;
    if (items.length === 1) return [{ item: items[0], err }];
    const half = Math.ceil(items.length / 2);
    const first = await recordIsolating(items.slice(0, half), record, aboutTheItems);
    return [...first, ...(await recordIsolating(items.slice(half), record, aboutTheItems))];
  }
}
