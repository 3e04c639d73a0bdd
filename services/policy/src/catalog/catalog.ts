import { modelPrice, servesResponses, type ModelPrice, type ProviderType, type SluiceEvent } from '@sluice/contracts';

export interface CatalogModel {
  name: string;
  providerId: string;
  upstreamModel: string;
  maxOutputTokens: number | null;
  created: number;
  price: ModelPrice;
}

export interface CatalogProvider {
  id: string;
  type: ProviderType;
  baseUrl: string | null;
  secretVersion: number;
  /** `/v1/responses` goes to it natively (its type, or an openai-compatible server's flag). */
  supportsResponses: boolean;
}

/** The model catalog and the providers it routes to, fed by model and provider events. */
export class Catalog {
  readonly models = new Map<string, CatalogModel>();
  readonly providers = new Map<string, CatalogProvider>();

  apply(event: SluiceEvent): void {
    switch (event.type) {
      case 'ModelAdded': {
        const d = event.data;
        this.models.set(d.name, {
          name: d.name,
          providerId: d.providerId,
          upstreamModel: d.upstreamModel,
          maxOutputTokens: d.maxOutputTokens,
          created: Math.floor(Date.parse(d.createdAt) / 1000),
          price: modelPrice(d),
        });
        return;
      }
      case 'ModelRemoved':
        this.models.delete(event.data.name);
        return;
      case 'ProviderAdded':
        this.providers.set(event.data.providerId, {
          id: event.data.providerId,
          type: event.data.type as ProviderType,
          baseUrl: event.data.baseUrl,
          secretVersion: event.data.secretVersion,
          supportsResponses: servesResponses(event.data.type, event.data.supportsResponses),
        });
        return;
      case 'ProviderSecretRotated': {
        const provider = this.providers.get(event.data.providerId);
        if (provider) provider.secretVersion = event.data.secretVersion;
        return;
      }
      case 'ProviderUpdated': {
        const provider = this.providers.get(event.data.providerId);
        if (!provider) return;
        const { baseUrl, supportsResponses } = event.data.after;
        if (baseUrl !== undefined) provider.baseUrl = baseUrl;
        if (supportsResponses !== undefined) provider.supportsResponses = servesResponses(provider.type, supportsResponses);
        return;
      }
      case 'ProviderRemoved':
        this.providers.delete(event.data.providerId);
        return;
      default:
        return;
    }
  }
}
