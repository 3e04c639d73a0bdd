import { join } from 'node:path';
import { bootstrapService, DEFAULT_METRICS_PORT, envInt, mapStackTraces } from '@sluice/service';
import { AdminModule } from './app.module';
import { checkTokenBeforeBody } from './auth/token-before-body';
import { serveConsole } from './console/serve-console';
import { acceptEmptyJsonBodies } from './shared/json-body';
import { refuseUnstorableInput } from './shared/storable-input';
import { unreadableRequestBody } from './shared/unreadable-request';
import { logger } from './shared/logger';

mapStackTraces();

/** An admin body is a key, a provider or a model: 1 MB holds the largest with room to spare. */
const ADMIN_BODY_LIMIT = 1024 * 1024;

bootstrapService({
  name: 'admin-api',
  module: AdminModule,
  port: envInt('SLUICE_ADMIN_PORT', 8081),
  metricsPort: envInt('SLUICE_METRICS_PORT', DEFAULT_METRICS_PORT),
  logger,
  bodyLimit: envInt('SLUICE_ADMIN_BODY_LIMIT', ADMIN_BODY_LIMIT),
  nestBodyParser: false,
  // A request Node cannot read (a control character in a header, headers too large, too slow) still
  // gets the admin API's error shape.
  clientErrorBody: unreadableRequestBody,
  configure: (app) => {
    checkTokenBeforeBody(app);
    acceptEmptyJsonBodies(app);
    refuseUnstorableInput(app);
    // The web console, bundled by scripts/build.mjs next to this file.
    serveConsole(app.getHttpAdapter().getInstance(), join(__dirname, 'public'));
  },
}).catch((err) => {
  logger.fatal({ err: (err as Error).message }, 'admin-api failed to start');
  process.exit(1);
});
