import { DomainError, ErrorCodes, type CreateProviderBody } from '@sluice/contracts';
import { normalizeBaseUrl, secretHint, type ProviderEvent, type ProviderState } from '../provider';

export interface AddProvider {
  type: 'AddProvider';
  providerId: string;
  body: CreateProviderBody;
  now: Date;
}

/** A provider stream must not exist yet; the secret itself goes to the vault, never the event. */
export function decideAddProvider(command: AddProvider, state: ProviderState): ProviderEvent[] {
  if (state.status !== 'none')
    throw new DomainError(ErrorCodes.conflict, `provider ${command.providerId} already exists`);
  const { body } = command;
  return [
    {
      type: 'ProviderAdded',
      data: {
        providerId: command.providerId,
        name: body.name,
        type: body.type,
        baseUrl: body.baseUrl ? normalizeBaseUrl(body.baseUrl) : null,
        apiKeyHint: body.apiKey ? secretHint(body.apiKey) : null,
        secretVersion: body.apiKey ? 1 : 0,
        ...(body.supportsResponses !== undefined ? { supportsResponses: body.supportsResponses } : {}),
        createdAt: command.now.toISOString(),
      },
    },
  ];
}
