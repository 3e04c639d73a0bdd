import type { ProviderCredential } from '@sluice/contracts';
import { resolveCredential, type ResolvedCredential } from './resolved-credential';

/** The decrypted provider credentials, in memory only, replaced as a whole on each refresh. */
export class CredentialStore {
  private byId = new Map<string, ResolvedCredential>();
  private loadedOnce = false;

  get loaded(): boolean {
    return this.loadedOnce;
  }

  get(providerId: string): ResolvedCredential | undefined {
    return this.byId.get(providerId);
  }

  /** Swaps in the full set; returns the ids whose base URL could not be used (never the secrets). */
  replaceAll(credentials: readonly ProviderCredential[]): string[] {
    const next = new Map<string, ResolvedCredential>();
    const unusable: string[] = [];
    for (const c of credentials) {
      const resolved = resolveCredential(c);
      if (resolved) next.set(c.providerId, resolved);
      else unusable.push(c.providerId);
    }
    this.byId = next;
    this.loadedOnce = true;
    return unusable;
  }

  get size(): number {
    return this.byId.size;
  }
}
