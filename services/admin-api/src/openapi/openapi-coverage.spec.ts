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
    const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`));
    expect(documented.filter((d) => !served.has(d))).toEqual([]);
  });
});
