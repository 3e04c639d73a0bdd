import { RequestMethod } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { AdminRole } from '@sluice/contracts';
import { AdminModule } from '../app.module';
import { OpenApiController } from '../openapi/openapi.controller';
import { rolesFor } from './access-policy';
import { AdminTokenGuard } from './admin-token.guard';
import { FIELD_RULES_KEY, ROLES_KEY } from './roles';

interface Route {
  route: string;
  roles: readonly AdminRole[];
  fieldRules: Record<string, AdminRole[]> | undefined;
  guarded: boolean;
  controller: unknown;
}

/** Every route of the admin API with the roles the guard lets through, read from the same metadata the guard reads. */
function routes(): Route[] {
  const controllers: (new (...args: never[]) => unknown)[] = Reflect.getMetadata('controllers', AdminModule);
  return controllers.flatMap((controller) => {
    const prefix = `/${Reflect.getMetadata(PATH_METADATA, controller)}`;
    const proto = controller.prototype as Record<string, unknown>;
    return Object.getOwnPropertyNames(proto)
      .map((name) => proto[name])
      .filter((handler): handler is object => typeof handler === 'function' && Reflect.hasMetadata(METHOD_METADATA, handler))
      .map((handler) => {
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string;
        const declared = Reflect.getMetadata(ROLES_KEY, handler) ?? Reflect.getMetadata(ROLES_KEY, controller);
        const guards: unknown[] = [...(Reflect.getMetadata(GUARDS_METADATA, controller) ?? []), ...(Reflect.getMetadata(GUARDS_METADATA, handler) ?? [])];
        return {
          route: `${method} ${prefix}${path === '/' ? '' : `/${path}`}`,
          roles: rolesFor(method, declared),
          fieldRules: Reflect.getMetadata(FIELD_RULES_KEY, handler),
          guarded: guards.includes(AdminTokenGuard),
          controller,
        };
      });
  });
}

const roleOf = (route: string) => routes().find((r) => r.route === route);

describe('the admin API role matrix', () => {
  it('guards every route but the OpenAPI document', () => {
    const open = routes().filter((r) => !r.guarded);
    expect(open.map((r) => r.route)).toEqual(['GET /admin/v1/openapi.json']);
    expect(open.every((r) => r.controller === OpenApiController)).toBe(true);
  });

  it('gives auditors every read and no write', () => {
    for (const r of routes().filter((r) => r.guarded)) {
      expect([r.route, r.roles.includes('auditor')]).toEqual([r.route, r.route.startsWith('GET ')]);
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
    for (const route of ['POST /admin/v1/keys', 'PATCH /admin/v1/keys/:id', 'DELETE /admin/v1/keys/:id', 'POST /admin/v1/providers', 'POST /admin/v1/models', 'DELETE /admin/v1/models/:name']) {
      expect([route, roleOf(route)?.roles]).toEqual([route, ['owner', 'operator']]);
    }
  });

  it('leaves a provider base URL to owners', () => {
    expect(roleOf('PATCH /admin/v1/providers/:id')).toMatchObject({ roles: ['owner', 'operator'], fieldRules: { baseUrl: ['owner'] } });
  });

  it('lets every role read and export the audit trail, and owners and auditors verify it', () => {
    expect(roleOf('GET /admin/v1/audit/events')?.roles).toEqual(['owner', 'operator', 'auditor']);
    expect(roleOf('GET /admin/v1/audit/export')?.roles).toEqual(['owner', 'operator', 'auditor']);
    expect(roleOf('GET /admin/v1/audit/verify')?.roles).toEqual(['owner', 'auditor']);
  });
});
