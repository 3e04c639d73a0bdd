import type { CredentialsRequest, ProviderCredential, ProviderType } from '@sluice/contracts';
import type { Deps } from '../../shared/deps';
import { readSecret } from '../vault/vault.repository';

/** Decrypted credentials for the gateway, which keeps them in memory. */
export async function listCredentials(deps: Deps, payload: CredentialsRequest): Promise<ProviderCredential[]> {
  let query = deps.db
    .selectFrom('providers_view')
    .select(['id', 'type', 'base_url', 'secret_version'])
    .where('removed_at', 'is', null);
  if (payload.providerIds?.length) query = query.where('id', 'in', payload.providerIds);
  const rows = await query.execute();
  return Promise.all(
    rows.map(async (row) => ({
      providerId: row.id,
      type: row.type as ProviderType,
      baseUrl: row.base_url,
      apiKey: row.secret_version > 0 ? await readSecret(deps.db, deps.keks, row.id, row.secret_version) : null,
      secretVersion: row.secret_version,
    })),
  );
}
