import { bootstrapService, DEFAULT_METRICS_PORT, envInt, mapStackTraces } from '@sluice/service';
import { KeyRegistryModule } from './app.module';
import { logger } from './key-registry.runtime';

mapStackTraces();

bootstrapService({
  name: 'key-registry',
  module: KeyRegistryModule,
  port: envInt('SLUICE_KEY_REGISTRY_PORT', 8091),
  metricsPort: envInt('SLUICE_METRICS_PORT', DEFAULT_METRICS_PORT),
  logger,
}).catch((err) => {
  logger.fatal({ err: (err as Error).message }, 'key-registry failed to start');
  process.exit(1);
});
