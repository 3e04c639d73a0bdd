import { DomainError, ErrorCodes } from '@sluice/contracts';
import type { ProviderEvent, ProviderState } from '../provider';

export interface RewrapSecret {
  type: 'RewrapSecret';
  providerId: string;
  secretVersion: number;
  /** The KEK version the row's data key is wrapped under now; undefined when the row is gone. */
  wrappedUnder: number | undefined;
  currentKekVersion: number;
  now: Date;
}

/**
 * One audit event per vault row whose data key moves to the current KEK. A row already under it,
 * or gone meanwhile (its provider was removed), needs nothing: running the re-wrap again is safe.
 */
export function decideRewrapSecret(command: RewrapSecret, state: ProviderState): ProviderEvent[] {
  if (command.wrappedUnder === undefined || command.wrappedUnder === command.currentKekVersion) return [];
  if (state.status === 'none')
    throw new DomainError(
      ErrorCodes.providerNotFound,
      `vault row ${command.providerId} v${command.secretVersion} belongs to no provider`,
    );
  return [
    {
      type: 'ProviderSecretRewrapped',
      data: {
        providerId: command.providerId,
        secretVersion: command.secretVersion,
        kekVersion: command.currentKekVersion,
        rewrappedAt: command.now.toISOString(),
      },
    },
  ];
}
