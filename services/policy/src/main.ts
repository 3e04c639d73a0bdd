import { bootstrapService, DEFAULT_METRICS_PORT, envInt, mapStackTraces } from '@sluice/service';
import { PolicyModule } from './app.module';
import { logger } from './policy.runtime';

mapStackTraces();

bootstrapService({
  name: 'policy',
  module: PolicyModule,
  port: envInt('SLUICE_POLICY_PORT', 8092),
  metricsPort: envInt('SLUICE_METRICS_PORT', DEFAULT_METRICS_PORT),
  logger,
}).catch((err) => {
  logger.fatal({ err: (err as Error).message }, 'policy failed to start');
  process.exit(1);
});
