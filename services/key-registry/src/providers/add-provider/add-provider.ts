import type { z } from 'zod';
import { DomainError, ErrorCodes, type CreateProviderBody, type ProviderAddedV1 } from '@sluice/contracts';

export interface AddProvider {
  type: 'AddProvider';
  providerId: string;
  body: CreateProviderBody;
  now: Date;
}

export interface ProviderAdded {
  type: 'ProviderAdded';
  data: z.infer<typeof ProviderAddedV1>;
}

/** A provider stream must not exist yet; the secret itself goes to the vault, never the event. */
export function decideAddProvider(command: AddProvider, exists: boolean): ProviderAdded[] {
  if (exists) throw new DomainError(ErrorCodes.conflict, `provider ${command.providerId} already exists`);
  const { body } = command;
  return [
    {
      type: 'ProviderAdded',
      data: {
        providerId: command.providerId,
        name: body.name,
        type: body.type,
        baseUrl: body.baseUrl ? body.baseUrl.replace(/\/+$/, '') : null,
        apiKeyHint: body.apiKey ? secretHint(body.apiKey) : null,
        secretVersion: body.apiKey ? 1 : 0,
        createdAt: command.now.toISOString(),
      },
    },
  ];
}

/** Enough to recognise a key in a listing, never enough to use it. */
export function secretHint(secret: string): string {
  return secret.length <= 8 ? '****' : `${secret.slice(0, 3)}…${secret.slice(-4)}`;
}
