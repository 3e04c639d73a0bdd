import { bootstrapService, DEFAULT_METRICS_PORT, envInt, mapStackTraces } from '@sluice/service';
import { MeteringModule } from './app.module';
import { logger } from './metering.runtime';

mapStackTraces();

bootstrapService({
  name: 'metering',
  module: MeteringModule,
  port: envInt('SLUICE_METERING_PORT', 8093),
  metricsPort: envInt('SLUICE_METRICS_PORT', DEFAULT_METRICS_PORT),
  logger,
}).catch((err) => {
  logger.fatal({ err: (err as Error).message }, 'metering failed to start');
  process.exit(1);
});
