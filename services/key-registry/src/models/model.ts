import type { z } from 'zod';
import {
  DomainError,
  ErrorCodes,
  type CreateModelBody,
  type ModelAddedV1,
  type ModelRemovedV1,
} from '@sluice/contracts';

export type ModelState = { status: 'none' } | { status: 'listed' } | { status: 'removed' };

export type ModelEvent =
  | { type: 'ModelAdded'; data: z.infer<typeof ModelAddedV1> }
  | { type: 'ModelRemoved'; data: z.infer<typeof ModelRemovedV1> };

export function evolveModel(state: ModelState, event: ModelEvent): ModelState {
  switch (event.type) {
    case 'ModelAdded':
      return { status: 'listed' };
    case 'ModelRemoved':
      return { status: 'removed' };
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

export const foldModel = (events: ModelEvent[]): ModelState =>
  events.reduce(evolveModel, { status: 'none' } as ModelState);

/** A catalog entry can be added again after removal; its stream keeps the whole history. */
export function decideAddModel(body: CreateModelBody, now: Date, state: ModelState): ModelEvent[] {
  if (state.status === 'listed') throw new DomainError(ErrorCodes.modelNameTaken, `model ${body.name} already exists`);
  if (body.upstreamModel.endsWith('*') && !body.name.endsWith('*')) {
    throw new DomainError(ErrorCodes.validation, 'upstreamModel may end in * only when name does (a family entry)', {
      param: 'upstreamModel',
    });
  }
  return [
    {
      type: 'ModelAdded',
      data: {
        name: body.name,
        providerId: body.providerId,
        upstreamModel: body.upstreamModel,
        inputUsdPerMTok: body.inputUsdPerMTok,
        outputUsdPerMTok: body.outputUsdPerMTok,
        cachedInputUsdPerMTok: body.cachedInputUsdPerMTok ?? null,
        cacheWriteUsdPerMTok: body.cacheWriteUsdPerMTok ?? null,
        maxOutputTokens: body.maxOutputTokens ?? null,
        createdAt: now.toISOString(),
      },
    },
  ];
}

export function decideRemoveModel(name: string, now: Date, state: ModelState): ModelEvent[] {
  if (state.status !== 'listed') throw new DomainError(ErrorCodes.modelNotFound, `model ${name} does not exist`);
  return [{ type: 'ModelRemoved', data: { name, removedAt: now.toISOString() } }];
}
