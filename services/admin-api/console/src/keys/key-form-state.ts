import type { Key } from '../api/types';
import { RATE_LIMIT_FIELDS, validateKeyBody, type FieldErrors } from './key-rules';

/** The key form as text fields hold it; `toKeyBody` turns it into the API's body. */
export interface KeyForm {
  name: string;
  description: string;
  restrictModels: boolean;
  models: string[];
  modelPatterns: string;
  restrictOperations: boolean;
  operations: string[];
  rateLimits: Record<(typeof RATE_LIMIT_FIELDS)[number], string>;
  budgetOn: boolean;
  maxUsd: string;
  period: string;
  alertThresholds: string;
  webhookUrl: string;
  ipAllowlist: string;
  restrictProviders: boolean;
  providerIds: string[];
  expiresAt: string;
  metadata: string;
}

export const emptyKeyForm = (): KeyForm => ({
  name: '',
  description: '',
  restrictModels: false,
  models: [],
  modelPatterns: '',
  restrictOperations: false,
  operations: [],
  rateLimits: {
    requestsPerMinute: '',
    requestsPerHour: '',
    requestsPerDay: '',
    tokensPerMinute: '',
    maxParallelRequests: '',
  },
  budgetOn: false,
  maxUsd: '',
  period: '30d',
  alertThresholds: '50, 80, 100',
  webhookUrl: '',
  ipAllowlist: '',
  restrictProviders: false,
  providerIds: [],
  expiresAt: '',
  metadata: '',
});

/** The form for an existing key (edit). The webhook URL is write-only once set: left empty, it is kept. */
export function formOfKey(key: Key): KeyForm {
  const limits = key.rateLimits ?? {};
  return {
    ...emptyKeyForm(),
    name: key.name,
    description: key.description ?? '',
    restrictModels: key.models !== null,
    models: key.models ?? [],
    modelPatterns: '',
    restrictOperations: key.operations !== null,
    operations: key.operations ?? [],
    rateLimits: Object.fromEntries(
      RATE_LIMIT_FIELDS.map((f) => [f, limits[f] === undefined ? '' : String(limits[f])]),
    ) as KeyForm['rateLimits'],
    budgetOn: key.budget !== null,
    maxUsd: key.budget ? String(key.budget.maxUsd) : '',
    period: key.budget ? (key.budget.period ?? 'lifetime') : '30d',
    alertThresholds: key.budget ? key.budget.alertThresholds.join(', ') : '50, 80, 100',
    webhookUrl: key.budget?.webhookUrl ?? '',
    ipAllowlist: (key.ipAllowlist ?? []).join('\n'),
    restrictProviders: key.providerIds !== null,
    providerIds: key.providerIds ?? [],
    expiresAt: key.expiresAt ? key.expiresAt.slice(0, 16) : '',
    metadata: Object.keys(key.metadata ?? {}).length ? JSON.stringify(key.metadata, null, 2) : '',
  };
}

const splitList = (text: string) =>
  text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * The API body and every problem found on the way, keyed by the API's field names (`budget.maxUsd`),
 * so an error from the server lands on the same field as one found here.
 */
export function toKeyBody(
  form: KeyForm,
  now: number,
  { editing = false } = {},
): { body: Record<string, unknown>; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const body: Record<string, unknown> = { name: form.name.trim() };
  const clear = editing ? null : undefined;
  body.description = form.description.trim() ? form.description : clear;
  body.models = form.restrictModels ? [...new Set([...form.models, ...splitList(form.modelPatterns)])] : clear;
  body.operations = form.restrictOperations ? form.operations : clear;
  body.ipAllowlist = form.ipAllowlist.trim() ? splitList(form.ipAllowlist) : clear;
  body.providerIds = form.restrictProviders ? form.providerIds : clear;
  body.expiresAt = form.expiresAt
    ? `${form.expiresAt.length === 16 ? `${form.expiresAt}:00` : form.expiresAt}Z`
    : clear;

  const limits: Record<string, number> = {};
  for (const field of RATE_LIMIT_FIELDS) {
    const text = form.rateLimits[field].trim();
    if (!text) continue;
    const n = Number(text);
    if (!/^\d+$/.test(text)) errors[`rateLimits.${field}`] = 'A whole number above 0.';
    limits[field] = n;
  }
  body.rateLimits = Object.keys(limits).length ? limits : clear;

  if (form.budgetOn) {
    const maxUsd = Number(form.maxUsd);
    if (!form.maxUsd.trim() || !Number.isFinite(maxUsd))
      errors['budget.maxUsd'] = 'An amount in dollars, such as 25 or 0.50.';
    const thresholds = splitList(form.alertThresholds).map(Number);
    const budget: Record<string, unknown> = {
      maxUsd,
      period: form.period === 'lifetime' ? null : form.period.trim(),
      alertThresholds: thresholds,
    };
    if (form.webhookUrl.trim()) budget.webhookUrl = form.webhookUrl.trim();
    body.budget = budget;
  } else body.budget = clear;

  if (form.metadata.trim()) {
    try {
      body.metadata = JSON.parse(form.metadata);
    } catch {
      errors.metadata = 'Not valid JSON: write an object such as {"team": "billing"}.';
    }
  } else if (editing) body.metadata = {};

  for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
  if (editing) return { body, errors };
  return { body, errors: { ...validateKeyBody(body, now), ...errors } };
}

/**
 * A PATCH of only what the admin changed: the API records only changed fields anyway, and a field
 * left alone (a budget whose webhook URL the API shows only as a hint) is never rewritten.
 */
export function toPatchBody(
  original: KeyForm,
  form: KeyForm,
  now: number,
): { body: Record<string, unknown>; errors: FieldErrors } {
  const before = toKeyBody(original, now, { editing: true }).body;
  const after = toKeyBody(form, now, { editing: true });
  const body = Object.fromEntries(
    Object.entries(after.body).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(before[k])),
  );
  const present = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null));
  return { body, errors: { ...validateKeyBody(present, now, { partial: true }), ...after.errors } };
}

/** The form field that shows an API error's `param` (`ipAllowlist.2` → `ipAllowlist`). */
export function fieldOfParam(param: string | undefined, fields: string[]): string {
  if (!param) return 'form';
  const match = fields.filter((f) => param === f || param.startsWith(`${f}.`)).sort((a, b) => b.length - a.length)[0];
  return match ?? 'form';
}
