import { DomainError, ErrorCodes, normalizeBudget, type CreateKeyBody } from '@sluice/contracts';
import type { KeyEvent, KeyState } from '../key';

export interface CreateKey {
  type: 'CreateKey';
  keyId: string;
  keyHash: string;
  keyHint: string;
  body: CreateKeyBody;
  now: Date;
}

export function decideCreateKey(command: CreateKey, state: KeyState): KeyEvent[] {
  if (state.status !== 'none') throw new DomainError(ErrorCodes.conflict, `key ${command.keyId} already exists`);
  const { body, now } = command;
  if (body.expiresAt && new Date(body.expiresAt) <= now) {
    throw new DomainError(ErrorCodes.validation, 'expiresAt must be in the future', { param: 'expiresAt' });
  }
  return [
    {
      type: 'KeyCreated',
      data: {
        keyId: command.keyId,
        name: body.name,
        description: body.description ?? null,
        keyHash: command.keyHash,
        keyHint: command.keyHint,
        models: body.models ?? null,
        operations: body.operations ?? null,
        ipAllowlist: body.ipAllowlist ?? null,
        providerIds: body.providerIds ?? null,
        expiresAt: body.expiresAt ? new Date(body.expiresAt).toISOString() : null,
        metadata: body.metadata ?? {},
        rateLimits: body.rateLimits ?? null,
        budget: body.budget ? normalizeBudget(body.budget) : null,
        createdAt: now.toISOString(),
      },
    },
  ];
}
