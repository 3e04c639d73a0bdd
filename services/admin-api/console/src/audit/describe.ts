import type { AuditEvent } from '../api/types';

/** One line for an event in a timeline: what changed, without dumping the whole payload. */
export function describeEvent(e: AuditEvent): string {
  const d = e.data ?? {};
  switch (e.type) {
    case 'KeyUpdated': {
      const after = (d.after ?? {}) as Record<string, unknown>;
      return `changed ${Object.keys(after).join(', ') || 'nothing'}`;
    }
    case 'KeyRegenerated':
      return d.previousKeyExpiresAt
        ? `new secret; the old one works until ${String(d.previousKeyExpiresAt)}`
        : 'new secret; the old one stopped at once';
    case 'KeyBudgetThresholdReached':
      return `${String(d.thresholdPercent)}% of the budget reached`;
    case 'KeyBudgetReset':
      return `budget period reset`;
    case 'AdminAccessDenied':
      return `${String(d.method)} ${String(d.path)} refused (${String(d.reason)})${d.coalesced ? `, ${String(d.coalesced)} times` : ''}`;
    case 'KeyCreated':
      return `created ${String(d.name ?? '')}`;
    case 'ProviderAdded':
    case 'ProviderUpdated':
    case 'ProviderRemoved':
    case 'ProviderSecretRotated':
      return `provider ${String(d.name ?? d.providerId ?? '')}`;
    case 'ModelAdded':
    case 'ModelRemoved':
      return `model ${String(d.name ?? '')}`;
    default:
      return '';
  }
}
