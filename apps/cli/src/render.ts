import type { ModelStep, ProviderStep } from './plan-catalog';
import type { FieldChange, KeyStep } from './plan-keys';

export interface Plan {
  providers: ProviderStep[];
  models: ModelStep[];
  keys: KeyStep[];
}

const SYMBOL: Record<string, string> = {
  create: '+',
  update: '~',
  unchanged: '=',
  revoke: '-',
  orphan: '?',
  conflict: '!',
};
const ALL_WHEN_NULL = new Set(['models', 'operations', 'ipAllowlist', 'providerIds']);

/** The plan as a reader scans it: one line per object, the changed fields below an update. */
export function renderPlan(plan: Plan): string {
  const lines: string[] = [];
  const section = (
    kind: string,
    steps: { action: string; name: string; changes?: FieldChange[]; message?: string }[],
  ) => {
    for (const step of steps) {
      lines.push(`  ${SYMBOL[step.action]} ${kind} ${step.name}: ${describe(step)}`);
      for (const change of step.changes ?? [])
        lines.push(`      ${change.field}: ${show(change.field, change.from)} → ${show(change.field, change.to)}`);
    }
  };
  section('provider', plan.providers);
  section('model', plan.models);
  section('key', plan.keys);
  if (lines.length === 0) lines.push('  (the file declares nothing)');
  lines.push('', summary(plan));
  return lines.join('\n');
}

export function summary(plan: Plan): string {
  const all = [...plan.providers, ...plan.models, ...plan.keys];
  const count = (action: string) => all.filter((s) => s.action === action).length;
  const parts = [
    `${count('create')} to create`,
    `${count('update')} to update`,
    `${count('revoke')} to revoke`,
    `${count('unchanged')} unchanged`,
  ];
  if (count('conflict') > 0) parts.push(`${count('conflict')} in conflict`);
  if (count('orphan') > 0) parts.push(`${count('orphan')} managed but not in the file (--prune revokes them)`);
  return `Plan: ${parts.join(', ')}.`;
}

export const hasChanges = (plan: Plan) =>
  [...plan.providers, ...plan.models, ...plan.keys].some((s) => ['create', 'update', 'revoke'].includes(s.action));
export const conflicts = (plan: Plan) => [...plan.providers, ...plan.models].filter((s) => s.action === 'conflict');

function describe(step: { action: string; message?: string }): string {
  switch (step.action) {
    case 'create':
      return 'create';
    case 'update':
      return 'update';
    case 'unchanged':
      return 'unchanged';
    case 'revoke':
      return 'revoke (managed by sluice-apply, no longer in the file)';
    case 'orphan':
      return 'not in the file (managed by sluice-apply; kept without --prune)';
    default:
      return step.message ?? step.action;
  }
}

function show(field: string, value: unknown): string {
  if (value === null || value === undefined) return ALL_WHEN_NULL.has(field) ? '(all)' : '(none)';
  return JSON.stringify(value);
}
