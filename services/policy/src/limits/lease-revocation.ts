import type { LeaseRevoke, SluiceEvent } from '@sluice/contracts';

/**
 * Which leases an event ends: a change to the key's settings, secret or status ends its own; a
 * change to a provider or the catalog (a route, a price, a secret version) ends every lease. Events
 * that change nothing a lease was granted under (a new key, a threshold recorded, a budget's
 * period reset, a secret re-wrapped under a new master key, admin tokens) end none.
 */
export function revocationOf(event: SluiceEvent): LeaseRevoke | null {
  switch (event.type) {
    case 'KeyUpdated':
    case 'KeyRegenerated':
    case 'KeyDisabled':
    case 'KeyEnabled':
    case 'KeyRevoked':
      return { keyId: event.data.keyId };
    case 'ProviderUpdated':
    case 'ProviderSecretRotated':
    case 'ProviderRemoved':
    case 'ModelAdded':
    case 'ModelRemoved':
      return { all: true };
    default:
      return null;
  }
}
