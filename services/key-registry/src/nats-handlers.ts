import { Subjects } from '@sluice/contracts';
import { serve, type NatsConnection } from '@sluice/messaging';
import type { Logger } from '@sluice/service';
import { adminTokenCommands } from './admin-tokens/commands';
import { keyCommands } from './keys/commands';
import { modelCommands } from './models/commands';
import { providerCommands } from './providers/commands';
import { listCredentials } from './providers/credentials/credentials.handler';
import type { CommandTable } from './shared/command-table';
import { unavailableIfDatabaseDown } from './shared/database-unavailable';
import type { Deps } from './shared/deps';

/** Every command key-registry answers over NATS: one subject per use case. */
const commands: CommandTable = { ...keyCommands, ...providerCommands, ...modelCommands, ...adminTokenCommands };

export function registerNatsHandlers(nc: NatsConnection, deps: Deps, logger: Logger) {
  const subscriptions = Object.entries(commands).map(([name, handler]) =>
    serve(nc, Subjects.rpc.keyRegistry(name), (payload) => handler(deps, payload).catch(unavailableIfDatabaseDown), {
      queue: 'key-registry',
      logger,
    }),
  );
  subscriptions.push(
    serve(
      nc,
      Subjects.rpc.credentials,
      (payload) => listCredentials(deps, payload as object).catch(unavailableIfDatabaseDown),
      { queue: 'key-registry', logger },
    ),
  );
  return subscriptions;
}
