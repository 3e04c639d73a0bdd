import type { CommandTable } from '../shared/command-table';
import { addProvider } from './add-provider/add-provider.handler';
import { removeProvider } from './remove-provider/remove-provider.handler';
import { rewrapVault } from './rewrap-vault/rewrap-vault.handler';
import { rotateProviderSecret } from './rotate-provider/rotate-provider.handler';
import { updateProvider } from './update-provider/update-provider.handler';

/** Provider commands, by NATS endpoint name (`sluice.rpc.key-registry.<name>`). */
export const providerCommands: CommandTable = {
  'add-provider': addProvider,
  'update-provider': updateProvider,
  'remove-provider': removeProvider,
  'rotate-provider': rotateProviderSecret,
  'rewrap-vault': rewrapVault,
};
