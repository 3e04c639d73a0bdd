import { ErrorCodes } from '@sluice/contracts';
import { given, NOW, providerAdded, providerRemoved, secretRotated } from '../../../test/given-provider';
import { decideRotateProviderSecret } from './rotate-provider';

const rotate = (state: Parameters<typeof decideRotateProviderSecret>[1]) =>
  decideRotateProviderSecret(
    { type: 'RotateProviderSecret', providerId: 'prov_1', apiKeyHint: 'sk-…9999', now: NOW },
    state,
  );

describe('rotate-provider', () => {
  it('moves to the next vault version and records the new hint', () => {
    given(providerAdded())
      .when(rotate)
      .then([
        {
          type: 'ProviderSecretRotated',
          data: { providerId: 'prov_1', secretVersion: 2, apiKeyHint: 'sk-…9999', rotatedAt: NOW.toISOString() },
        },
      ]);
  });

  it('counts on from the last rotation', () => {
    given(providerAdded(), secretRotated(2), secretRotated(3))
      .when(rotate)
      .then([
        {
          type: 'ProviderSecretRotated',
          data: { providerId: 'prov_1', secretVersion: 4, apiKeyHint: 'sk-…9999', rotatedAt: NOW.toISOString() },
        },
      ]);
  });

  it('refuses the built-in mock provider, which has no secret', () => {
    given(providerAdded({ type: 'mock', baseUrl: null, apiKeyHint: null, secretVersion: 0 }))
      .when(rotate)
      .thenThrows(ErrorCodes.validation);
  });

  it('refuses a removed or unknown provider', () => {
    given(providerAdded(), providerRemoved).when(rotate).thenThrows(ErrorCodes.providerNotFound);
    given().when(rotate).thenThrows(ErrorCodes.providerNotFound);
  });
});
