import type { ProviderCredential, ProviderType } from '@sluice/contracts';
import { ANTHROPIC_BASE_URL } from '../providers/anthropic/anthropic-wire';
import { azureAccess, type AzureAccess } from '../providers/azure-openai/azure-access';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/**
 * A credential in the form the hot path uses: origin and base path split once, the Authorization
 * header value built once. Lives only in memory; never logged.
 */
export interface ResolvedCredential {
  providerId: string;
  type: ProviderType;
  origin: string;
  basePath: string;
  authorization: string | null;
  secretVersion: number;
  /** As configured, to tell whether policy routes to a newer base URL than the one held. */
  baseUrl: string | null;
  /** azure-openai only; such a credential has no Authorization. */
  azure?: AzureAccess;
  /** anthropic only: the key for the `x-api-key` header; such a credential has no Authorization. */
  apiKey?: string | null;
}

export function resolveCredential(c: ProviderCredential): ResolvedCredential | null {
  // An Azure resource has no default address.
  if (c.type === 'azure-openai' && c.baseUrl === null) return null;
  let url: URL;
  try {
    url = new URL(c.baseUrl ?? (c.type === 'anthropic' ? ANTHROPIC_BASE_URL : OPENAI_BASE_URL));
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const resolved: ResolvedCredential = {
    providerId: c.providerId,
    type: c.type,
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    authorization: c.apiKey ? `Bearer ${c.apiKey}` : null,
    secretVersion: c.secretVersion,
    baseUrl: c.baseUrl,
  };
  if (c.type === 'azure-openai') return { ...resolved, authorization: null, azure: azureAccess(c.apiKey, url) };
  if (c.type === 'anthropic') return { ...resolved, authorization: null, apiKey: c.apiKey };
  return resolved;
}
