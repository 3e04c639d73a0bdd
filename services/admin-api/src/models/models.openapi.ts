import { CreateModelBody } from '@sluice/contracts';
import { errors, jsonBody, ok, type Paths } from '../openapi/openapi-helpers';

export const modelPaths: Paths = {
  '/admin/v1/models': {
    post: { summary: 'Add a catalog model', requestBody: jsonBody(CreateModelBody), responses: { '201': ok('the model'), ...errors } },
    get: { summary: 'List the catalog', responses: { '200': ok('{data}'), ...errors } },
  },
  '/admin/v1/models/{name}': {
    get: { summary: 'Read a catalog model', responses: { '200': ok('the model'), ...errors } },
    delete: { summary: 'Remove a catalog model', responses: { '204': ok('removed'), ...errors } },
  },
};
