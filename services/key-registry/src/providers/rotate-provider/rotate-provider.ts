import { DomainError, ErrorCodes } from '@sluice/contracts';
import { activeProvider, type ProviderEvent, type ProviderState } from '../provider';

export interface RotateProviderSecret {
  type: 'RotateProviderSecret';
  providerId: string;
  /** The hint of the new secret; the secret itself never reaches the decision or the event. */
  apiKeyHint: string;
  now: Date;
}

/** The new secret becomes the next vault version; older versions stay, virtual keys are untouched. */
export function decideRotateProviderSecret(command: RotateProviderSecret, state: ProviderState): ProviderEvent[] {
  const provider = activeProvider(state, command.providerId);
  if (provider.type === 'mock')
    throw new DomainError(ErrorCodes.validation, 'the built-in mock provider has no secret to rotate', {
      param: 'apiKey',
    });
  return [
    {
      type: 'ProviderSecretRotated',
      data: {
        providerId: command.providerId,
        secretVersion: provider.secretVersion + 1,
        apiKeyHint: command.apiKeyHint,
        rotatedAt: command.now.toISOString(),
      },
    },
  ];
}
