import { errors, ok, type Paths } from '../openapi/openapi-helpers';

export const sessionPaths: Paths = {
  '/admin/v1/whoami': {
    get: {
      summary:
        'Who the admin token belongs to: {actor, role, tokenId, name} (every role; never the token). The console reads its role here',
      responses: {
        '200': ok('{actor: "env-owner" | "admin-token:<id>", role: owner|operator|auditor, tokenId, name}'),
        '401': errors['401'],
      },
    },
  },
  '/admin/v1/gateway': {
    get: {
      summary:
        'Where clients reach the gateway: {baseUrl} (SLUICE_PUBLIC_GATEWAY_URL, else this host with the gateway port), for ready-made snippets',
      responses: { '200': ok('{baseUrl: "http://localhost:8080/v1"}'), '401': errors['401'] },
    },
  },
};
