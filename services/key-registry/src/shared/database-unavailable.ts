import { DomainError, ErrorCodes } from '@sluice/contracts';
import { isDatabaseUnavailable } from '@sluice/db';

/** Rethrows a lost or refused Postgres connection as UNAVAILABLE, so the caller knows to retry. */
export function unavailableIfDatabaseDown(err: unknown): never {
  if (isDatabaseUnavailable(err))
    throw new DomainError(ErrorCodes.unavailable, 'the database is unavailable; retry shortly');
  throw err;
}
