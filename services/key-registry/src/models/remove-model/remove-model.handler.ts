import type { Actor } from '@sluice/contracts';
import { runCommand } from '../../shared/command-store';
import type { Deps } from '../../shared/deps';
import { decideRemoveModel, foldModel, type ModelEvent, type ModelState } from '../model';

export async function removeModel(deps: Deps, payload: { name: string; actor: Actor }): Promise<{ name: string }> {
  const now = deps.now();
  await runCommand<ModelState, ModelEvent>(deps.db, {
    streamId: `model-${payload.name}`,
    streamType: 'model',
    fold: foldModel,
    decide: (state) => decideRemoveModel(payload.name, now, state),
    actor: payload.actor,
    now,
  });
  return { name: payload.name };
}
