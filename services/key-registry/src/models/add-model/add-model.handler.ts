import { CreateModelBody, DomainError, ErrorCodes, parseOrThrow, type Actor } from '@sluice/contracts';
import { runCommand } from '../../shared/command-store';
import type { Deps } from '../../shared/deps';
import { decideAddModel, foldModel, type ModelEvent, type ModelState } from '../model';

export async function addModel(deps: Deps, payload: { body: unknown; actor: Actor }): Promise<{ name: string }> {
  const body = parseOrThrow(CreateModelBody, payload.body);
  const provider = await deps.db
    .selectFrom('providers_view')
    .select('id')
    .where('id', '=', body.providerId)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
  if (!provider) throw new DomainError(ErrorCodes.providerNotFound, `provider ${body.providerId} does not exist`, { param: 'providerId' });
  const now = deps.now();
  await runCommand<ModelState, ModelEvent>(deps.db, {
    streamId: `model-${body.name}`,
    streamType: 'model',
    fold: foldModel,
    decide: (state) => decideAddModel(body, now, state),
    actor: payload.actor,
    now,
  });
  return { name: body.name };
}
