import { CreateModelBody, DomainError, ErrorCodes, parseOrThrow, type Actor } from '@sluice/contracts';
import { runCommand } from '../../shared/command-store';
import type { Deps } from '../../shared/deps';
import { decideAddModel, foldModel, type ModelEvent, type ModelState } from '../model';

/**
 * The provider is checked inside the command's transaction under a share lock, so a concurrent
 * remove-provider (which locks the same row) either sees this model or makes this add fail.
 */
export async function addModel(deps: Deps, payload: { body: unknown; actor: Actor }): Promise<{ name: string }> {
  const body = parseOrThrow(CreateModelBody, payload.body);
  const now = deps.now();
  await runCommand<ModelState, ModelEvent, boolean>(deps.db, {
    streamId: `model-${body.name}`,
    streamType: 'model',
    fold: foldModel,
    loadContext: async (trx) => {
      const provider = await trx
        .selectFrom('providers_view')
        .select('id')
        .where('id', '=', body.providerId)
        .where('removed_at', 'is', null)
        .forShare()
        .executeTakeFirst();
      return provider !== undefined;
    },
    decide: (state, providerExists) => {
      if (!providerExists)
        throw new DomainError(ErrorCodes.providerNotFound, `provider ${body.providerId} does not exist`, {
          param: 'providerId',
        });
      return decideAddModel(body, now, state);
    },
    actor: payload.actor,
    now,
  });
  return { name: body.name };
}
