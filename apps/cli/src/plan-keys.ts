import {
  normalizeBudget,
  type BudgetInput,
  type BudgetSettings,
  type KeyView,
  type UpdateKeyBody,
} from '@sluice/contracts';
import type { DesiredKey } from './manifest';

/** Marks the keys this tool owns: only those are candidates for `--prune`. */
export const MANAGED_BY = { managedBy: 'sluice-apply' } as const;

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export type KeyStep =
  | { action: 'create'; name: string; body: DesiredKey }
  | { action: 'update'; name: string; id: string; changes: FieldChange[]; patch: UpdateKeyBody }
  | { action: 'unchanged'; name: string; id: string }
  | { action: 'revoke'; name: string; id: string }
  /** Managed by this tool, no longer in the file, and `--prune` not given. */
  | { action: 'orphan'; name: string; id: string };

type Settings = Pick<
  KeyView,
  'description' | 'models' | 'operations' | 'ipAllowlist' | 'providerIds' | 'expiresAt' | 'metadata' | 'rateLimits'
> & {
  budget: BudgetSettings | null;
};
const SETS = ['models', 'operations', 'ipAllowlist', 'providerIds'] as const;

/**
 * What `apply` must do so the live keys match the file. The file is the whole truth for each key
 * it names: a field left out means its default (no description, all models, no expiry, …).
 */
export function planKeys(desired: DesiredKey[], current: KeyView[], opts: { prune: boolean }): KeyStep[] {
  const live = new Map(current.filter((k) => k.status !== 'revoked').map((k) => [k.name, k]));
  const steps: KeyStep[] = desired.map((want) => {
    const have = live.get(want.name);
    // Only a key this tool created carries the mark: updating a hand-made key never takes it over,
    // so a later `--prune` cannot revoke what someone else made.
    const body = !have || isManaged(have) ? { ...want, metadata: { ...want.metadata, ...MANAGED_BY } } : want;
    if (!have) return { action: 'create', name: want.name, body };
    const changes = diff(settingsOf(have), settingsOf(body));
    if (changes.length === 0) return { action: 'unchanged', name: want.name, id: have.id };
    // The plan shows a webhook by its hint; the PATCH sends the file's budget, URL and all.
    const patch = Object.fromEntries(
      changes.map((c) => [c.field, c.field === 'budget' ? (body.budget ?? null) : c.to]),
    ) as UpdateKeyBody;
    return { action: 'update', name: want.name, id: have.id, changes, patch };
  });
  const named = new Set(desired.map((k) => k.name));
  for (const key of live.values()) {
    if (named.has(key.name) || !isManaged(key)) continue;
    steps.push({ action: opts.prune ? 'revoke' : 'orphan', name: key.name, id: key.id });
  }
  return steps;
}

const isManaged = (key: KeyView) => key.metadata?.managedBy === MANAGED_BY.managedBy;

function settingsOf(k: Partial<Pick<KeyView, keyof Settings>> | DesiredKey): Settings {
  const budget = k.budget ? normalizeBudget(k.budget as BudgetInput) : null;
  // A live key shows its webhook only as a hint; the file's URL is compared by its hint.
  const webhookUrlHint =
    k.budget && 'webhookUrlHint' in k.budget ? k.budget.webhookUrlHint : (budget?.webhookUrlHint ?? null);
  return {
    description: k.description ?? null,
    models: k.models ?? null,
    operations: k.operations ?? null,
    ipAllowlist: k.ipAllowlist ?? null,
    providerIds: k.providerIds ?? null,
    expiresAt: k.expiresAt ? new Date(k.expiresAt).toISOString() : null,
    metadata: k.metadata ?? {},
    rateLimits: k.rateLimits && Object.keys(k.rateLimits).length > 0 ? k.rateLimits : null,
    // Only the budget's settings: a live key also reports its spend, which no file sets.
    budget: budget && {
      maxUsd: budget.maxUsd,
      period: budget.period,
      alertThresholds: budget.alertThresholds,
      webhookUrlHint,
    },
  };
}

function diff(have: Settings, want: Settings): FieldChange[] {
  return (Object.keys(want) as (keyof Settings)[])
    .filter((field) => !sameValue(field, have[field], want[field]))
    .map((field) => ({ field, from: have[field], to: want[field] }));
}

/** Lists are sets (order carries no meaning for any of them); objects compare by content. */
function sameValue(field: keyof Settings, a: unknown, b: unknown): boolean {
  if ((SETS as readonly string[]).includes(field) && Array.isArray(a) && Array.isArray(b)) {
    return canonical([...a].sort()) === canonical([...b].sort());
  }
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)))
      : v,
  );
}
