import { CreateAdminTokenBody } from '@sluice/contracts';
import { errors, jsonBody, ok, type Paths } from '../openapi/openapi-helpers';

export const adminTokenPaths: Paths = {
  '/admin/v1/admin-tokens': {
    post: {
      summary: 'Create an admin token with a role: owner, operator or auditor (owners only; the token is shown once)',
      requestBody: jsonBody(CreateAdminTokenBody),
      responses: { '201': ok('{id, name, role, tokenHint, createdAt, revokedAt, token}'), ...errors },
    },
    get: {
      summary: 'List admin tokens, revoked ones included (owners and auditors)',
      responses: { '200': ok('{data}'), ...errors },
    },
  },
  '/admin/v1/admin-tokens/{id}': {
    get: {
      summary: 'Read an admin token (owners and auditors)',
      responses: { '200': ok('the admin token, never the token itself'), ...errors },
    },
    delete: {
      summary: 'Revoke an admin token: refused with 401 on its next call (owners only)',
      responses: { '200': ok('the revoked admin token'), ...errors },
    },
  },
};
