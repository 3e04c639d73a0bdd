import { OpenApiController } from '../openapi/openapi.controller';
import { adminRoutes as routes } from '../../test/routes';

const roleOf = (route: string) => routes().find((r) => r.route === route);

/** POSTs that change nothing (dry runs): reads, for the role matrix. */
const READ_ONLY_POSTS = ['POST /admin/v1/keys/:id/simulate'];

describe('the admin API role matrix', () => {
  it('guards every route but the OpenAPI document', () => {
    const open = routes().filter((r) => !r.guarded);
    expect(open.map((r) => r.route)).toEqual(['GET /admin/v1/openapi.json']);
    expect(open.every((r) => r.controller === OpenApiController)).toBe(true);
  });

  it('gives auditors every read and no write', () => {
    for (const r of routes().filter((r) => r.guarded)) {
      const read = r.route.startsWith('GET ') || READ_ONLY_POSTS.includes(r.route);
      expect([r.route, r.roles.includes('auditor')]).toEqual([r.route, read]);
    }
  });

  it('keeps admin tokens and the vault re-wrap to owners (auditors read the token list)', () => {
    for (const r of routes().filter((r) => /\/admin\/v1\/(admin-tokens|vault)/.test(r.route))) {
      expect([r.route, r.roles]).toEqual([r.route, r.route.startsWith('GET ') ? ['owner', 'auditor'] : ['owner']]);
    }
    expect(roleOf('POST /admin/v1/admin-tokens')?.roles).toEqual(['owner']);
    expect(roleOf('DELETE /admin/v1/admin-tokens/:id')?.roles).toEqual(['owner']);
    expect(roleOf('POST /admin/v1/vault/rewrap')?.roles).toEqual(['owner']);
  });

  it('lets operators manage keys, providers and models', () => {
    for (const route of [
      'POST /admin/v1/keys',
      'PATCH /admin/v1/keys/:id',
      'DELETE /admin/v1/keys/:id',
      'POST /admin/v1/providers',
      'POST /admin/v1/models',
      'DELETE /admin/v1/models/:name',
    ]) {
      expect([route, roleOf(route)?.roles]).toEqual([route, ['owner', 'operator']]);
    }
  });

  it("lets every role read a key's effective policy and dry-run a call with it", () => {
    expect(roleOf('GET /admin/v1/keys/:id/effective-policy')?.roles).toEqual(['owner', 'operator', 'auditor']);
    expect(roleOf('POST /admin/v1/keys/:id/simulate')?.roles).toEqual(['owner', 'operator', 'auditor']);
  });

  it('leaves a provider base URL to owners', () => {
    expect(roleOf('PATCH /admin/v1/providers/:id')).toMatchObject({
      roles: ['owner', 'operator'],
      fieldRules: { baseUrl: ['owner'] },
    });
  });

  it('lets every role read and export the audit trail, and owners and auditors verify it', () => {
    expect(roleOf('GET /admin/v1/audit/events')?.roles).toEqual(['owner', 'operator', 'auditor']);
    expect(roleOf('GET /admin/v1/audit/export')?.roles).toEqual(['owner', 'operator', 'auditor']);
    expect(roleOf('GET /admin/v1/audit/verify')?.roles).toEqual(['owner', 'auditor']);
  });
});
