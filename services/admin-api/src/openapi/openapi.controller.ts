import { Controller, Get } from '@nestjs/common';
import { adminTokenPaths } from '../admin-tokens/admin-tokens.openapi';
import { auditPaths } from '../audit/audit.openapi';
import { changePaths } from '../changes/changes.openapi';
import { keyPaths } from '../keys/keys.openapi';
import { modelPaths } from '../models/models.openapi';
import { providerPaths } from '../providers/providers.openapi';
import { requestPaths } from '../requests/requests.openapi';
import { sessionPaths } from '../session/session.openapi';
import { usagePaths } from '../usage/usage.openapi';

/** The admin API's OpenAPI document, generated from the same schemas that validate requests. */
const document = {
  openapi: '3.1.0',
  info: { title: 'Sluice admin API', version: '1' },
  components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
  security: [{ adminToken: [] }],
  paths: {
    ...keyPaths,
    ...providerPaths,
    ...modelPaths,
    ...adminTokenPaths,
    ...usagePaths,
    ...requestPaths,
    ...auditPaths,
    ...sessionPaths,
    ...changePaths,
  },
};

@Controller('admin/v1')
export class OpenApiController {
  @Get('openapi.json')
  openapi() {
    return document;
  }
}
