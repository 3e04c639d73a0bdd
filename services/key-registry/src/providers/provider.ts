import type { z } from 'zod';
import {
  DomainError,
  ErrorCodes,
  type ProviderAddedV1,
  type ProviderRemovedV1,
  type ProviderSecretRewrappedV1,
  type ProviderSecretRotatedV1,
  type ProviderUpdatedV1,
} from '@sluice/contracts';

/** The provider aggregate: its state folded from its stream, and the events its commands decide. */
export interface ProviderFacts {
  providerId: string;
  name: string;
  type: string;
  baseUrl: string | null;
  /** The vault row in use; 0 for a provider without a secret (the built-in mock). */
  secretVersion: number;
  /** openai-compatible: the server has OpenAI's Responses API. */
  supportsResponses: boolean;
}

export type ProviderState =
  | { status: 'none' }
  | ({ status: 'active' } & ProviderFacts)
  | ({ status: 'removed' } & ProviderFacts);

export type ProviderEvent =
  | { type: 'ProviderAdded'; data: z.infer<typeof ProviderAddedV1> }
  | { type: 'ProviderUpdated'; data: z.infer<typeof ProviderUpdatedV1> }
  | { type: 'ProviderSecretRotated'; data: z.infer<typeof ProviderSecretRotatedV1> }
  | { type: 'ProviderSecretRewrapped'; data: z.infer<typeof ProviderSecretRewrappedV1> }
  | { type: 'ProviderRemoved'; data: z.infer<typeof ProviderRemovedV1> };

export const initialProviderState: ProviderState = { status: 'none' };

export function evolveProvider(state: ProviderState, event: ProviderEvent): ProviderState {
  switch (event.type) {
    case 'ProviderAdded': {
      const { providerId, name, type, baseUrl, secretVersion, supportsResponses } = event.data;
      return {
        status: 'active',
        providerId,
        name,
        type,
        baseUrl,
        secretVersion,
        supportsResponses: supportsResponses === true,
      };
    }
    case 'ProviderUpdated':
      if (state.status === 'none') return state;
      return { ...state, ...event.data.after };
    case 'ProviderSecretRotated':
      if (state.status === 'none') return state;
      return { ...state, secretVersion: event.data.secretVersion };
    case 'ProviderSecretRewrapped':
      return state;
    case 'ProviderRemoved':
      if (state.status === 'none') return state;
      return { ...state, status: 'removed' };
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

export const foldProvider = (events: ProviderEvent[]): ProviderState =>
  events.reduce(evolveProvider, initialProviderState);

/** A removed provider is gone for every command: its id is not reused and it cannot come back. */
export function activeProvider(state: ProviderState, providerId: string): Extract<ProviderState, { status: 'active' }> {
  if (state.status !== 'active')
    throw new DomainError(ErrorCodes.providerNotFound, `provider ${providerId} does not exist`);
  return state;
}

/** Base URLs are stored without trailing slashes: the gateway appends `/chat/completions` and friends. */
export const normalizeBaseUrl = (url: string): string => url.replace(/\/+$/, '');

/** Enough to recognise a key in a listing, never enough to use it. */
export function secretHint(secret: string): string {
  return secret.length <= 8 ? '****' : `${secret.slice(0, 3)}…${secret.slice(-4)}`;
}
