import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { createDb, relationsReadBy, waitForRelations, type Database } from '@sluice/db';
import { connectNats } from '@sluice/messaging';
import { env, provide, READINESS } from '@sluice/service';
import { AdminTokensController } from './admin-tokens/admin-tokens.controller';
import { AuditController } from './audit/audit.controller';
import { ChangesController } from './changes/changes.controller';
import { ConfirmedCommands } from './changes/confirmed-commands';
import { AdminRuntime } from './admin.runtime';
import { AdminTokenGuard } from './auth/admin-token.guard';
import { KeysController } from './keys/keys.controller';
import { KeyPolicyController } from './keys/limits/key-policy.controller';
import { ModelsController } from './models/models.controller';
import { OpenApiController } from './openapi/openapi.controller';
import { ProvidersController } from './providers/providers.controller';
import { RequestsController } from './requests/requests.controller';
import { UsageController } from './usage/usage.controller';
import { GatewayController } from './session/gateway.controller';
import { WhoamiController } from './session/whoami.controller';
import { VaultController } from './vault/vault.controller';
import { AdminErrorFilter } from './shared/error.filter';
import { logger } from './shared/logger';
import { DB, NATS } from './shared/tokens';

const httpControllers = [
  KeysController,
  KeyPolicyController,
  ProvidersController,
  ModelsController,
  VaultController,
  AdminTokensController,
  UsageController,
  RequestsController,
  AuditController,
  WhoamiController,
  GatewayController,
  ChangesController,
  OpenApiController,
];

const connections = [
  provide(DB, [], async () => {
    const db = createDb<Database>(env('DATABASE_URL'), {
      onPoolError: (err) => logger.warn({ err: err.message }, 'postgres connection dropped'),
    });
    // admin-api owns no table: it reads key-registry's and metering's, once they have migrated them.
    await waitForRelations(db, relationsReadBy('admin-api'), {
      onWaiting: (missing) => logger.info({ missing }, 'waiting for key-registry and metering to create their tables'),
    });
    return db;
  }),
  provide(NATS, [], () => connectNats(env('NATS_URL', 'nats://127.0.0.1:4222'), 'admin-api')),
];

@Module({
  controllers: httpControllers,
  providers: [
    ...connections,
    AdminTokenGuard,
    ConfirmedCommands,
    AdminRuntime,
    { provide: READINESS, useExisting: AdminRuntime },
    { provide: APP_FILTER, useClass: AdminErrorFilter },
  ],
})
export class AdminModule {}
