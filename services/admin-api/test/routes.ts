import { RequestMethod } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { AdminRole } from '@sluice/contracts';
import { AdminModule } from '../src/app.module';
import { rolesFor } from '../src/auth/access-policy';
import { AdminTokenGuard } from '../src/auth/admin-token.guard';
import { FIELD_RULES_KEY, ROLES_KEY } from '../src/auth/roles';

export interface AdminRoute {
  /** `PATCH /admin/v1/keys/:id` */
  route: string;
  method: string;
  /** Nest's path, `/admin/v1/keys/:id`. */
  path: string;
  roles: readonly AdminRole[];
  fieldRules: Record<string, AdminRole[]> | undefined;
  guarded: boolean;
  controller: unknown;
}

/** Every route of the admin API, read from the same metadata the router and the guard read. */
export function adminRoutes(): AdminRoute[] {
  const controllers: (new (...args: never[]) => unknown)[] = Reflect.getMetadata('controllers', AdminModule);
  return controllers.flatMap((controller) => {
    const prefix = `/${Reflect.getMetadata(PATH_METADATA, controller)}`;
    const proto = controller.prototype as Record<string, unknown>;
    return Object.getOwnPropertyNames(proto)
      .map((name) => proto[name])
      .filter(
        (handler): handler is object => typeof handler === 'function' && Reflect.hasMetadata(METHOD_METADATA, handler),
      )
      .map((handler) => {
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const sub = Reflect.getMetadata(PATH_METADATA, handler) as string;
        const path = `${prefix}${sub === '/' ? '' : `/${sub}`}`;
        const declared = Reflect.getMetadata(ROLES_KEY, handler) ?? Reflect.getMetadata(ROLES_KEY, controller);
        const guards: unknown[] = [
          ...(Reflect.getMetadata(GUARDS_METADATA, controller) ?? []),
          ...(Reflect.getMetadata(GUARDS_METADATA, handler) ?? []),
        ];
        return {
          route: `${method} ${path}`,
          method,
          path,
          roles: rolesFor(method, declared),
          fieldRules: Reflect.getMetadata(FIELD_RULES_KEY, handler),
          guarded: guards.includes(AdminTokenGuard),
          controller,
        };
      });
  });
}
