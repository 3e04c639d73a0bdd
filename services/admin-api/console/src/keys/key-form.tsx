import type { Model, Provider } from '../api/types';
import { Checkbox, Group, Select, TextArea, TextField } from '../ui/controls';
import type { KeyForm } from './key-form-state';
import { OPERATIONS, type FieldErrors } from './key-rules';

const PERIODS: [string, string][] = [
  ['1h', 'Hourly (1h)'],
  ['1d', 'Daily (1d)'],
  ['7d', 'Weekly (7d)'],
  ['30d', 'Every 30 days (30d)'],
  ['lifetime', 'Lifetime (never resets)'],
];

const RATE_LABELS: [keyof KeyForm['rateLimits'], string][] = [
  ['requestsPerMinute', 'Requests per minute'],
  ['requestsPerHour', 'Requests per hour'],
  ['requestsPerDay', 'Requests per day'],
  ['tokensPerMinute', 'Tokens per minute'],
  ['maxParallelRequests', 'Max parallel requests'],
];

/** A glob as the API matches it: `*` is any run of characters. */
const globMatches = (pattern: string, name: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(name);

/** Every field of a key, each labelled, each showing its own error. */
export function KeyFormFields({
  form,
  set,
  errors,
  models,
  providers,
}: {
  form: KeyForm;
  set: (f: Partial<KeyForm>) => void;
  errors: FieldErrors;
  models: Model[];
  providers: Provider[];
}) {
  const toggle = (list: string[], item: string, on: boolean) => (on ? [...list, item] : list.filter((x) => x !== item));
  const patterns = form.modelPatterns
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
  const matched = models.filter((m) => form.models.includes(m.name) || patterns.some((p) => globMatches(p, m.name)));
  const periodKnown = PERIODS.some(([p]) => p === form.period);
  return (
    <>
      <TextField
        label="Name"
        value={form.name}
        onValue={(name) => set({ name })}
        error={errors.name}
        required
        maxLength={128}
      />
      <TextArea
        label="Description"
        value={form.description}
        onValue={(description) => set({ description })}
        error={errors.description}
        rows={2}
      />

      <Group legend="Models" error={errors.models}>
        <Checkbox
          label="Only some models"
          checked={form.restrictModels}
          onChecked={(restrictModels) => set({ restrictModels })}
        />
        {!form.restrictModels ? (
          <p class="hint">Every model in the catalog.</p>
        ) : (
          <>
            <div class="checks">
              {models.map((m) => (
                <Checkbox
                  key={m.name}
                  label={m.name}
                  checked={form.models.includes(m.name)}
                  onChecked={(on) => set({ models: toggle(form.models, m.name, on) })}
                />
              ))}
            </div>
            <TextField
              label="Model patterns"
              value={form.modelPatterns}
              onValue={(modelPatterns) => set({ modelPatterns })}
              placeholder="gpt-4o*, claude-3-5-*"
              hint={`Comma-separated; * matches anything. Allowed now: ${matched.map((m) => m.name).join(', ') || 'no model'}.`}
            />
          </>
        )}
      </Group>

      <Group legend="Operations" error={errors.operations}>
        <Checkbox
          label="Only some operations"
          checked={form.restrictOperations}
          onChecked={(restrictOperations) => set({ restrictOperations })}
        />
        {form.restrictOperations && (
          <div class="checks">
            {OPERATIONS.map((op) => (
              <Checkbox
                key={op}
                label={op}
                checked={form.operations.includes(op)}
                onChecked={(on) => set({ operations: toggle(form.operations, op, on) })}
              />
            ))}
          </div>
        )}
      </Group>

      <Group legend="Rate limits">
        <div class="grid">
          {RATE_LABELS.map(([field, label]) => (
            <TextField
              key={field}
              label={label}
              inputMode="numeric"
              value={form.rateLimits[field]}
              onValue={(v) => set({ rateLimits: { ...form.rateLimits, [field]: v } })}
              error={errors[`rateLimits.${field}`]}
              placeholder="no limit"
            />
          ))}
        </div>
      </Group>

      <Group legend="Budget" error={errors.budget}>
        <Checkbox
          label="Limit spend with a budget"
          checked={form.budgetOn}
          onChecked={(budgetOn) => set({ budgetOn })}
        />
        {form.budgetOn && (
          <div class="grid">
            <TextField
              label="Budget (USD)"
              inputMode="decimal"
              value={form.maxUsd}
              onValue={(maxUsd) => set({ maxUsd })}
              error={errors['budget.maxUsd']}
              placeholder="25"
            />
            <Select
              label="Budget period"
              value={periodKnown ? form.period : 'custom'}
              onValue={(period) => set({ period: period === 'custom' ? '' : period })}
              options={[...PERIODS, ['custom', 'Other…']]}
              error={periodKnown ? errors['budget.period'] : undefined}
            />
            {!periodKnown && (
              <TextField
                label="Custom period"
                value={form.period}
                onValue={(period) => set({ period })}
                placeholder="12h, 14d"
                error={errors['budget.period']}
              />
            )}
            <TextField
              label="Alert thresholds (%)"
              value={form.alertThresholds}
              onValue={(alertThresholds) => set({ alertThresholds })}
              error={errors['budget.alertThresholds']}
              hint="Recorded (and sent to the webhook) when spend crosses them."
            />
            <TextField
              label="Budget webhook URL"
              type="url"
              value={form.webhookUrl}
              onValue={(webhookUrl) => set({ webhookUrl })}
              error={errors['budget.webhookUrl']}
              placeholder="https://hooks.example.com/sluice"
              hint="Optional; else SLUICE_BUDGET_WEBHOOK_URL."
            />
          </div>
        )}
      </Group>

      <TextArea
        label="IP allow-list"
        value={form.ipAllowlist}
        onValue={(ipAllowlist) => set({ ipAllowlist })}
        error={errors.ipAllowlist}
        placeholder={'10.0.0.0/8\n2001:db8::/32'}
        hint="Addresses or CIDR ranges, one a line. Empty: any address."
      />

      <Group legend="Provider binding" error={errors.providerIds}>
        <Checkbox
          label="Only some providers"
          checked={form.restrictProviders}
          onChecked={(restrictProviders) => set({ restrictProviders })}
        />
        {form.restrictProviders && (
          <div class="checks">
            {providers.map((p) => (
              <Checkbox
                key={p.id}
                label={`${p.name} (${p.type})`}
                checked={form.providerIds.includes(p.id)}
                onChecked={(on) => set({ providerIds: toggle(form.providerIds, p.id, on) })}
              />
            ))}
          </div>
        )}
      </Group>

      <TextField
        label="Expires at (UTC)"
        type="datetime-local"
        value={form.expiresAt}
        onValue={(expiresAt) => set({ expiresAt })}
        error={errors.expiresAt}
        hint="Empty: never."
      />
      <TextArea
        label="Metadata (JSON)"
        value={form.metadata}
        onValue={(metadata) => set({ metadata })}
        error={errors.metadata}
        placeholder='{"team": "billing"}'
        rows={3}
      />
    </>
  );
}

export const KEY_FORM_FIELDS = [
  'name',
  'description',
  'models',
  'operations',
  'rateLimits.requestsPerMinute',
  'rateLimits.requestsPerHour',
  'rateLimits.requestsPerDay',
  'rateLimits.tokensPerMinute',
  'rateLimits.maxParallelRequests',
  'budget.maxUsd',
  'budget.period',
  'budget.alertThresholds',
  'budget.webhookUrl',
  'budget',
  'ipAllowlist',
  'providerIds',
  'expiresAt',
  'metadata',
];
