import { bootstrapService, envInt } from '@sluice/service';
import { AdminModule } from './app.module';
import { acceptEmptyJsonBodies } from './shared/json-body';
import { logger } from './shared/logger';

bootstrapService({
  name: 'admin-api',
  module: AdminModule,
  port: envInt('SLUICE_ADMIN_PORT', 8081),
  logger,
  nestBodyParser: false,
  configure: acceptEmptyJsonBodies,
}).catch((err) => {
  logger.fatal({ err: (err as Error).message }, 'admin-api failed to start');
  process.exit(1);
});
