import type { Kysely } from 'kysely';
import { DomainError, ErrorCodes } from '@sluice/contracts';
import type { Database } from '@sluice/db';

/**
 * A key bound to a provider that does not exist is refused on every call, so the binding is checked
 * when it is written: the first unknown id is named in `param`.
 */
export async function assertProvidersExist(
  db: Kysely<Database>,
  providerIds: string[] | null | undefined,
): Promise<void> {
  if (!providerIds?.length) return;
  const rows = await db
    .selectFrom('providers_view')
    .select('id')
    .where('id', 'in', providerIds)
    .where('removed_at', 'is', null)
    .execute();
  const existing = new Set(rows.map((row) => row.id));
  const missing = providerIds.findIndex((id) => !existing.has(id));
  if (missing === -1) return;
  const param = `providerIds.${missing}`;
  throw new DomainError(ErrorCodes.validation, `${param}: provider ${providerIds[missing]} does not exist`, { param });
}
