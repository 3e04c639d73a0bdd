import type { CommandTable } from '../shared/command-table';
import { createKey } from './create-key/create-key.handler';
import { disableKey } from './disable-key/disable-key.handler';
import { enableKey } from './enable-key/enable-key.handler';
import { recordBudgetThreshold } from './record-budget-threshold/record-budget-threshold.handler';
import { regenerateKey } from './regenerate-key/regenerate-key.handler';
import { revokeKey } from './revoke-key/revoke-key.handler';
import { updateKey } from './update-key/update-key.handler';

/** Key commands, by NATS endpoint name (`sluice.rpc.key-registry.<name>`). */
export const keyCommands: CommandTable = {
  'create-key': createKey,
  'update-key': updateKey,
  'regenerate-key': regenerateKey,
  'disable-key': disableKey,
  'enable-key': enableKey,
  'revoke-key': revokeKey,
  'record-budget-threshold': recordBudgetThreshold,
};
