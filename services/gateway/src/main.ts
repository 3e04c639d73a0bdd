import { createLogger, mapStackTraces } from '@sluice/service';
import { configFromEnv } from './config';
import { startGateway } from './gateway';

mapStackTraces();

const logger = createLogger('gateway');

startGateway({ ...configFromEnv(), logger }).catch((err: Error) => {
  logger.fatal({ err: err.message }, 'gateway failed to start');
  process.exit(1);
});
