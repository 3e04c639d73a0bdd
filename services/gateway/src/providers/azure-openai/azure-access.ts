/** GA, and the first GA version that sends the usage chunk of a stream (`stream_options.include_usage`). */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

/** What an Azure call needs besides origin and path, built once per credential. */
export interface AzureAccess {
  /** The `api-key` header: Azure reads an Authorization header as an Entra ID token, never as a key. */
  apiKey: string | null;
  apiVersion: string;
}

/** The admin may pin a version in the base URL (`https://r.openai.azure.com?api-version=2025-01-01-preview`). */
export function azureAccess(apiKey: string | null, baseUrl: URL): AzureAccess {
  return { apiKey, apiVersion: baseUrl.searchParams.get('api-version') || AZURE_DEFAULT_API_VERSION };
}
