import { adminRoutes } from '../../test/routes';
import { OpenApiController } from './openapi.controller';

const document = new OpenApiController().openapi() as { paths: Record<string, Record<string, unknown>> };
const openApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

describe('the OpenAPI document', () => {
  it('documents every route of the admin API, with its method', () => {
    const undocumented = adminRoutes()
      .filter((r) => r.path !== '/admin/v1/openapi.json')
      .filter((r) => document.paths[openApiPath(r.path)]?.[r.method.toLowerCase()] === undefined)
      .map((r) => r.route);
    expect(undocumented).toEqual([]);
  });

  it('documents no route the admin API does not serve', () => {
    const served = new Set(adminRoutes().map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`));
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m} ${path}`),
    );
    expect(documented.filter((d) => !served.has(d))).toEqual([]);
  });

  it('documents `?wait=` and the 202 "not yet in force" answer on every write that waits on policy', () => {
    const writes = adminRoutes().filter(
      (r) =>
        r.method !== 'GET' && /^\/admin\/v1\/(keys|providers|models)/.test(r.path) && !r.path.endsWith('/simulate'),
    );
    expect(writes.length).toBe(12);
    for (const r of writes) {
      const op = document.paths[openApiPath(r.path)][r.method.toLowerCase()] as {
        responses: Record<string, unknown>;
        parameters?: { name: string }[];
      };
      expect([r.route, '202' in op.responses, op.parameters?.some((p) => p.name === 'wait')]).toEqual([
        r.route,
        true,
        true,
      ]);
    }
  });
});
