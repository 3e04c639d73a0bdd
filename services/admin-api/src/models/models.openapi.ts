import { CreateModelBody } from '@sluice/contracts';
import { policyWrite } from '../changes/changes.openapi';
import { errors, jsonBody, ok, type Paths } from '../openapi/openapi-helpers';

export const modelPaths: Paths = {
  '/admin/v1/models': {
    post: policyWrite({
      summary: 'Add a catalog model',
      requestBody: jsonBody(CreateModelBody),
      responses: { '201': ok('the model'), ...errors },
    }),
    get: { summary: 'List the catalog', responses: { '200': ok('{data}'), ...errors } },
  },
  '/admin/v1/models/{name}': {
    get: { summary: 'Read a catalog model', responses: { '200': ok('the model'), ...errors } },
    delete: policyWrite({ summary: 'Remove a catalog model', responses: { '204': ok('removed'), ...errors } }),
  },
};
