import type { CommandTable } from '../shared/command-table';
import { addModel } from './add-model/add-model.handler';
import { removeModel } from './remove-model/remove-model.handler';

/** Catalog commands, by NATS endpoint name (`sluice.rpc.key-registry.<name>`). */
export const modelCommands: CommandTable = {
  'add-model': addModel,
  'remove-model': removeModel,
};
