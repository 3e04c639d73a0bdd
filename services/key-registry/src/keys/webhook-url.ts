import { DomainError, ErrorCodes, type BudgetInput } from '@sluice/contracts';
import { checkUpstreamUrl } from '@sluice/net-policy';
import { strictUpstreamPolicy, type UpstreamPolicy } from '../providers/upstream-url';

/**
 * A budget webhook is an outgoing request key-registry makes to an admin-chosen URL, so it gets the
 * same check as a provider base URL: public addresses only unless SLUICE_UPSTREAM_ALLOW lists the
 * target (the notifier checks again at connect time and follows no redirect).
 */
export async function assertWebhookUrlAllowed(
  policy: UpstreamPolicy | undefined,
  budget: BudgetInput | null | undefined,
): Promise<void> {
  const url = budget?.webhookUrl;
  if (!url) return;
  const { allow, resolve } = policy ?? strictUpstreamPolicy;
  const check = await checkUpstreamUrl(url, allow, resolve);
  if (check.ok) return;
  throw new DomainError(
    ErrorCodes.keyWebhookUrlNotAllowed,
    `budget.webhookUrl is not allowed: ${check.reason}. Private, loopback and link-local targets are refused unless SLUICE_UPSTREAM_ALLOW lists them.`,
    { param: 'budget.webhookUrl' },
  );
}
