import type { CommandTable } from '../shared/command-table';
import { addProvider } from './add-provider/add-provider.handler';

/** Provider commands, by NATS endpoint name (`sluice.rpc.key-registry.<name>`). */
export const providerCommands: CommandTable = {
  'add-provider': addProvider,
};
