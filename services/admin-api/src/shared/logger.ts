import { createLogger } from '@sluice/service';

export const logger = createLogger('admin-api');
