import { inspect } from 'node:util';

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What is awaited, for the timeout message ("the key to be revoked on gateway 2"). */
  description?: string;
}

type Truthy<T> = Exclude<Awaited<T>, false | 0 | '' | null | undefined>;

/**
 * Polls `predicate` until it returns a truthy value and returns that value. A predicate that
 * throws counts as "not yet", so jest assertions can be polled; the last error is reported.
 */
export async function waitFor<T>(predicate: () => T, options: WaitForOptions = {}): Promise<Truthy<T>> {
  const { timeoutMs = 5000, intervalMs = 50, description } = options;
  const deadline = Date.now() + timeoutMs;
  let last: { value: unknown } | { error: unknown } = { value: undefined };
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as Truthy<T>;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const what = description ? ` waiting for ${description}` : '';
  const detail =
    'error' in last
      ? `last attempt threw: ${last.error instanceof Error ? last.error.message : inspect(last.error)}`
      : `last result: ${inspect(last.value, { depth: 3 })}`;
  throw new Error(`waitFor timed out after ${timeoutMs} ms${what}; ${detail}`, {
    cause: 'error' in last ? last.error : undefined,
  });
}
