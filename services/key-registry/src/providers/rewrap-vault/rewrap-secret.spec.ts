import { ErrorCodes } from '@sluice/contracts';
import { given, NOW, providerAdded, providerRemoved } from '../../../test/given-provider';
import { decideRewrapSecret } from './rewrap-secret';

const rewrap = (wrappedUnder: number | undefined) => (state: Parameters<typeof decideRewrapSecret>[1]) =>
  decideRewrapSecret(
    { type: 'RewrapSecret', providerId: 'prov_1', secretVersion: 1, wrappedUnder, currentKekVersion: 2, now: NOW },
    state,
  );

describe('rewrap-vault, one row', () => {
  it('records one audit event for a row still under an older key-encryption key', () => {
    given(providerAdded())
      .when(rewrap(1))
      .then([
        {
          type: 'ProviderSecretRewrapped',
          data: { providerId: 'prov_1', secretVersion: 1, kekVersion: 2, rewrappedAt: NOW.toISOString() },
        },
      ]);
  });

  it('does nothing for a row already under the current key, or gone meanwhile, so a re-run is safe', () => {
    given(providerAdded()).when(rewrap(2)).then([]);
    given(providerAdded()).when(rewrap(undefined)).then([]);
  });

  it('still re-wraps the rows of a removed provider that remain', () => {
    given(providerAdded(), providerRemoved)
      .when(rewrap(1))
      .then([
        {
          type: 'ProviderSecretRewrapped',
          data: { providerId: 'prov_1', secretVersion: 1, kekVersion: 2, rewrappedAt: NOW.toISOString() },
        },
      ]);
  });

  it('reports a row that belongs to no provider', () => {
    given().when(rewrap(1)).thenThrows(ErrorCodes.providerNotFound);
  });
});
