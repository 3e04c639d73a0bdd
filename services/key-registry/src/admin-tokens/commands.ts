import type { CommandTable } from '../shared/command-table';
import { createAdminToken } from './create-admin-token/create-admin-token.handler';
import { recordAccessDenied } from './record-access-denied/record-access-denied.handler';
import { revokeAdminToken } from './revoke-admin-token/revoke-admin-token.handler';

/** Admin access commands, by NATS endpoint name (`sluice.rpc.key-registry.<name>`). */
export const adminTokenCommands: CommandTable = {
  'create-admin-token': createAdminToken,
  'revoke-admin-token': revokeAdminToken,
  'record-access-denied': recordAccessDenied,
};
