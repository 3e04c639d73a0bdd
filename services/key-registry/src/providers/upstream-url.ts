import { DomainError, ErrorCodes } from '@sluice/contracts';
import { checkUpstreamUrl, systemResolver, UpstreamAllowList, type ResolveHost } from '@sluice/net-policy';

/** Which upstream targets a provider base URL may name (`SLUICE_UPSTREAM_ALLOW`), and how host names resolve. */
export interface UpstreamPolicy {
  allow: UpstreamAllowList;
  resolve: ResolveHost;
}

/** Production's default: public addresses only, resolved by the system resolver. */
export const strictUpstreamPolicy: UpstreamPolicy = { allow: UpstreamAllowList.none, resolve: systemResolver };

/**
 * Refuses a base URL that could point the gateway at something other than a public provider:
 * its host is resolved now and every address checked (the gateway checks again at connect time).
 */
export async function assertUpstreamUrlAllowed(policy: UpstreamPolicy | undefined, baseUrl: string): Promise<void> {
  const { allow, resolve } = policy ?? strictUpstreamPolicy;
  const check = await checkUpstreamUrl(baseUrl, allow, resolve);
  if (check.ok) return;
  throw new DomainError(
    ErrorCodes.providerUrlNotAllowed,
    `baseUrl is not allowed: ${check.reason}. Private, loopback and link-local targets are refused unless SLUICE_UPSTREAM_ALLOW lists them.`,
    { param: 'baseUrl' },
  );
}
