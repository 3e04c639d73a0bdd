import type { Api } from '../api/client';
import type { Model, Page, Provider } from '../api/types';

export async function catalog(api: Api): Promise<{ models: Model[]; providers: Provider[] }> {
  const [models, providers] = await Promise.all([
    api.get<Page<Model>>('/models'),
    api.get<Page<Provider>>('/providers'),
  ]);
  return { models: models.data, providers: providers.data };
}
