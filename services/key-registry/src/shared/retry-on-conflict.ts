import { DomainError, ErrorCodes } from '@sluice/contracts';

/**
 * Runs a command again when another writer appended to the same stream first. For commands the
 * system sends itself (budget resets, threshold reports), whose sender cannot do anything more
 * useful with a 409 than try again, and whose decision on a fresh read is idempotent.
 */
export async function retryOnConflict<T>(run: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof DomainError && err.code === ErrorCodes.conflict) || attempt >= attempts) throw err;
    }
  }
}
