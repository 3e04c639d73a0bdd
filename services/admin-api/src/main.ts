import { join } from 'node:path';
import { bootstrapService, DEFAULT_METRICS_PORT, envInt } from '@sluice/service';
import { AdminModule } from './app.module';
import { serveConsole } from './console/serve-console';
import { acceptEmptyJsonBodies } from './shared/json-body';
import { logger } from './shared/logger';

bootstrapService({
  name: 'admin-api',
  module: AdminModule,
  port: envInt('SLUICE_ADMIN_PORT', 8081),
  metricsPort: envInt('SLUICE_METRICS_PORT', DEFAULT_METRICS_PORT),
  logger,
  nestBodyParser: false,
  configure: (app) => {
    acceptEmptyJsonBodies(app);
    // The web console, bundled by scripts/build.mjs next to this file.
    serveConsole(app.getHttpAdapter().getInstance(), join(__dirname, 'public'));
  },
}).catch((err) => {
  logger.fatal({ err: (err as Error).message }, 'admin-api failed to start');
  process.exit(1);
});
