import type { Transaction } from 'kysely';
import type { Actor } from '@sluice/contracts';
import type { Database } from '@sluice/db';
import { runCommand } from '../shared/command-store';
import type { Deps } from '../shared/deps';
import { foldKey, type KeyEvent, type KeyState } from './key';

/** Runs one command on a key's stream: fold, decide with the injected clock, append, project. */
export function runKeyCommand(
  deps: Deps,
  keyId: string,
  actor: Actor,
  decide: (state: KeyState, now: Date) => KeyEvent[],
  alsoInTransaction?: (trx: Transaction<Database>, events: KeyEvent[]) => Promise<void>,
): Promise<KeyEvent[]> {
  const now = deps.now();
  return runCommand<KeyState, KeyEvent>(deps.db, {
    streamId: `key-${keyId}`,
    streamType: 'key',
    fold: foldKey,
    decide: (state) => decide(state, now),
    actor,
    now,
    alsoInTransaction,
  });
}
