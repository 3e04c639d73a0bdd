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

const upstreamOf = (family: CatalogModel, suffix: string): string =>
  family.upstreamModel.endsWith('*') ? family.upstreamModel.slice(0, -1) + suffix : family.upstreamModel;

/**
 * The model catalog and the providers it routes to, fed by model and provider events. A model
 * named with a trailing `*` (`claude-haiku-4-5*`) is a family entry: it serves every name that
 * starts with what comes before the `*` and has no entry of its own (the longest such prefix
 * wins), so dated ids (`claude-haiku-4-5-20251001`) work as clients send them. A `*` at the end
 * of its upstream model is replaced by what the name's `*` matched.
 */
export class Catalog {
  readonly models = new Map<string, CatalogModel>();
  readonly providers = new Map<string, CatalogProvider>();
  /** Family entries, longest prefix first. */
  #families: { prefix: string; model: CatalogModel }[] = [];

  /** The entry serving a model name as a client sends it, with the upstream model it goes to. */
  lookup(name: string): { model: CatalogModel; upstreamModel: string } | null {
    const exact = this.models.get(name);
    // A family's own name (`claude-haiku-4-5*`) is its prefix with nothing after it.
    if (exact)
      return { model: exact, upstreamModel: exact.name.endsWith('*') ? upstreamOf(exact, '') : exact.upstreamModel };
    for (const { prefix, model } of this.#families)
      if (name.startsWith(prefix)) return { model, upstreamModel: upstreamOf(model, name.slice(prefix.length)) };
    return null;
  }

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
        this.#indexFamilies();
        return;
      }
      case 'ModelRemoved':
        this.models.delete(event.data.name);
        this.#indexFamilies();
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
        if (supportsResponses !== undefined)
          provider.supportsResponses = servesResponses(provider.type, supportsResponses);
        return;
      }
      case 'ProviderRemoved':
        this.providers.delete(event.data.providerId);
        return;
      default:
        return;
    }
  }

  #indexFamilies(): void {
    this.#families = [...this.models.values()]
      .filter((m) => m.name.endsWith('*'))
      .map((model) => ({ prefix: model.name.slice(0, -1), model }))
      .sort((a, b) => b.prefix.length - a.prefix.length);
  }
}
