import { DomainError, ErrorCodes } from '@sluice/contracts';
import { activeProvider, type ProviderEvent, type ProviderState } from '../provider';

export interface RemoveProvider {
  type: 'RemoveProvider';
  providerId: string;
  now: Date;
}

/** A provider that catalog models still route to cannot go: those calls would have nowhere to go. */
export function decideRemoveProvider(
  command: RemoveProvider,
  state: ProviderState,
  modelsRoutedHere: readonly string[],
): ProviderEvent[] {
  activeProvider(state, command.providerId);
  if (modelsRoutedHere.length > 0) {
    const listed =
      modelsRoutedHere.slice(0, 10).join(', ') +
      (modelsRoutedHere.length > 10 ? `, and ${modelsRoutedHere.length - 10} more` : '');
    throw new DomainError(
      ErrorCodes.providerInUse,
      `provider ${command.providerId} is in use by the catalog models ${listed}; remove them first`,
      {
        models: modelsRoutedHere,
      },
    );
  }
  return [{ type: 'ProviderRemoved', data: { providerId: command.providerId, removedAt: command.now.toISOString() } }];
}
