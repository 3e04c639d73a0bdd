import type { CommandTable } from '../shared/command-table';
import { createKey } from './create-key/create-key.handler';
import { revokeKey } from './revoke-key/revoke-key.handler';

/** Key commands, by NATS endpoint name (`sluice.rpc.key-registry.<name>`). */
export const keyCommands: CommandTable = {
  'create-key': createKey,
  'revoke-key': revokeKey,
};
