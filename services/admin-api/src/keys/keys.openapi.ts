import { CreateKeyBody } from '@sluice/contracts';
import { errors, jsonBody, ok, type Paths } from '../openapi/openapi-helpers';

export const keyPaths: Paths = {
  '/admin/v1/keys': {
    post: { summary: 'Create a virtual key (the secret is shown once)', requestBody: jsonBody(CreateKeyBody), responses: { '201': ok('the key object plus `key`'), ...errors } },
    get: { summary: 'List keys (?status=&cursor=&limit=)', responses: { '200': ok('{data, nextCursor}'), ...errors } },
  },
  '/admin/v1/keys/{id}': {
    get: { summary: 'Read a key with its usage', responses: { '200': ok('the key object'), ...errors } },
    delete: { summary: 'Revoke a key for good', responses: { '200': ok('the revoked key object'), ...errors } },
  },
};
