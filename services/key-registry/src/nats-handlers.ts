import { Subjects } from '@sluice/contracts';
import { serve, type NatsConnection } from '@sluice/messaging';
import type { Logger } from '@sluice/service';
import { createKey } from './keys/create-key/create-key.handler';
import { revokeKey } from './keys/revoke-key/revoke-key.handler';
import { addModel } from './models/add-model/add-model.handler';
import { removeModel } from './models/remove-model/remove-model.handler';
import { addProvider } from './providers/add-provider/add-provider.handler';
import { listCredentials } from './providers/credentials/credentials.handler';
import type { Deps } from './shared/deps';

/** The commands key-registry answers over NATS: one subject per use case. */
const commands: Record<string, (deps: Deps, payload: any) => Promise<unknown>> = {
  'create-key': createKey,
  'revoke-key': revokeKey,
  'add-provider': addProvider,
  'add-model': addModel,
  'remove-model': removeModel,
};

export function registerNatsHandlers(nc: NatsConnection, deps: Deps, logger: Logger) {
  const subscriptions = Object.entries(commands).map(([name, handler]) =>
    serve(nc, Subjects.rpc.keyRegistry(name), (payload) => handler(deps, payload), { queue: 'key-registry', logger }),
  );
  subscriptions.push(serve(nc, Subjects.rpc.credentials, (payload) => listCredentials(deps, payload as object), { queue: 'key-registry', logger }));
  return subscriptions;
}
