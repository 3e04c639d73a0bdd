import { ErrorCodes } from '@sluice/contracts';
import { given, NOW, providerAdded, providerRemoved } from '../../../test/given-provider';
import { decideRemoveProvider } from './remove-provider';

const remove =
  (modelsRoutedHere: string[] = []) =>
  (state: Parameters<typeof decideRemoveProvider>[1]) =>
    decideRemoveProvider({ type: 'RemoveProvider', providerId: 'prov_1', now: NOW }, state, modelsRoutedHere);

describe('remove-provider', () => {
  it('removes a provider no catalog model routes to', () => {
    given(providerAdded())
      .when(remove())
      .then([{ type: 'ProviderRemoved', data: { providerId: 'prov_1', removedAt: NOW.toISOString() } }]);
  });

  it('refuses while catalog models route to it, naming them', () => {
    given(providerAdded())
      .when(remove(['gpt-4o', 'gpt-4o-mini']))
      .thenThrows(ErrorCodes.providerInUse);
    expect(() => remove(['gpt-4o', 'gpt-4o-mini'])(given(providerAdded()).state)).toThrow(/gpt-4o, gpt-4o-mini/);
  });

  it('removes once: a removed provider is not found', () => {
    given(providerAdded(), providerRemoved).when(remove()).thenThrows(ErrorCodes.providerNotFound);
    given().when(remove()).thenThrows(ErrorCodes.providerNotFound);
  });
});
