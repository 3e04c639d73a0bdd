import { DomainError, ErrorCodes, type CreateAdminTokenBody } from '@sluice/contracts';
import type { AdminTokenEvent, AdminTokenState } from '../admin-token';

export interface CreateAdminToken {
  type: 'CreateAdminToken';
  tokenId: string;
  tokenHash: string;
  tokenHint: string;
  body: CreateAdminTokenBody;
  now: Date;
}

export function decideCreateAdminToken(command: CreateAdminToken, state: AdminTokenState): AdminTokenEvent[] {
  if (state.status !== 'none')
    throw new DomainError(ErrorCodes.conflict, `admin token ${command.tokenId} already exists`);
  return [
    {
      type: 'AdminTokenCreated',
      data: {
        tokenId: command.tokenId,
        name: command.body.name,
        role: command.body.role,
        tokenHash: command.tokenHash,
        tokenHint: command.tokenHint,
        createdAt: command.now.toISOString(),
      },
    },
  ];
}
