import { ErrorCodes } from '@sluice/contracts';
import { given, NOW, providerAdded, providerRemoved } from '../../../test/given-provider';
import { decideUpdateProvider } from './update-provider';
import type { UpdateProviderBody } from '@sluice/contracts';
import type { ProviderEvent } from '../provider';

const update = (body: UpdateProviderBody) => (state: Parameters<typeof decideUpdateProvider>[1]) =>
  decideUpdateProvider({ type: 'UpdateProvider', providerId: 'prov_1', body, now: NOW }, state);

describe('update-provider', () => {
  it('records only the fields that change, before and after', () => {
    given(providerAdded())
      .when(update({ name: 'openai-prod', baseUrl: 'https://llm2.example.com/v1/' }))
      .then([
        {
          type: 'ProviderUpdated',
          data: {
            providerId: 'prov_1',
            before: { baseUrl: 'https://llm.example.com/v1' },
            after: { baseUrl: 'https://llm2.example.com/v1' },
            updatedAt: NOW.toISOString(),
          },
        },
      ]);
  });

  it('renames, and the next decision sees the new name', () => {
    const renamed: ProviderEvent = {
      type: 'ProviderUpdated',
      data: {
        providerId: 'prov_1',
        before: { name: 'openai-prod' },
        after: { name: 'openai-eu' },
        updatedAt: NOW.toISOString(),
      },
    };
    given(providerAdded())
      .when(update({ name: 'openai-eu' }))
      .then([renamed]);
    given(providerAdded(), renamed)
      .when(update({ name: 'openai-eu' }))
      .then([]);
  });

  it('appends nothing when nothing changes', () => {
    given(providerAdded())
      .when(update({ name: 'openai-prod', baseUrl: 'https://llm.example.com/v1' }))
      .then([]);
  });

  it('lets an OpenAI provider drop its base URL (back to api.openai.com), but not an openai-compatible one', () => {
    given(providerAdded({ type: 'openai' }))
      .when(update({ baseUrl: null }))
      .then([
        {
          type: 'ProviderUpdated',
          data: {
            providerId: 'prov_1',
            before: { baseUrl: 'https://llm.example.com/v1' },
            after: { baseUrl: null },
            updatedAt: NOW.toISOString(),
          },
        },
      ]);
    given(providerAdded())
      .when(update({ baseUrl: null }))
      .thenThrows(ErrorCodes.validation);
  });

  it('keeps an Azure provider on an Azure resource: its base URL cannot be dropped', () => {
    given(providerAdded({ type: 'azure-openai', baseUrl: 'https://contoso.openai.azure.com' }))
      .when(update({ baseUrl: null }))
      .thenThrows(ErrorCodes.validation);
  });

  it('marks an openai-compatible server as serving the Responses API, and only such a provider', () => {
    given(providerAdded())
      .when(update({ supportsResponses: true }))
      .then([
        {
          type: 'ProviderUpdated',
          data: {
            providerId: 'prov_1',
            before: { supportsResponses: false },
            after: { supportsResponses: true },
            updatedAt: NOW.toISOString(),
          },
        },
      ]);
    given(providerAdded({ supportsResponses: true }))
      .when(update({ supportsResponses: true }))
      .then([]);
    given(providerAdded({ type: 'anthropic' }))
      .when(update({ supportsResponses: true }))
      .thenThrows(ErrorCodes.validation);
  });

  it('refuses a provider that does not exist or was removed', () => {
    given()
      .when(update({ name: 'x' }))
      .thenThrows(ErrorCodes.providerNotFound);
    given(providerAdded(), providerRemoved)
      .when(update({ name: 'x' }))
      .thenThrows(ErrorCodes.providerNotFound);
  });
});
