import { CreateProviderBody } from '@sluice/contracts';
import { errors, jsonBody, ok, type Paths } from '../openapi/openapi-helpers';

export const providerPaths: Paths = {
  '/admin/v1/providers': {
    post: { summary: 'Add a provider credential', requestBody: jsonBody(CreateProviderBody), responses: { '201': ok('the provider, never its secret'), ...errors } },
    get: { summary: 'List provider credentials', responses: { '200': ok('{data}'), ...errors } },
  },
  '/admin/v1/providers/{id}': { get: { summary: 'Read a provider credential', responses: { '200': ok('the provider'), ...errors } } },
};
