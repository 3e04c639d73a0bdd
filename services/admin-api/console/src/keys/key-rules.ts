/**
 * The admin API's rules for a key's fields (libs/contracts: CreateKeyBody, RateLimitsSchema,
 * BudgetSchema, isCidr), checked in the browser so an admin sees every problem at its field before
 * sending. key-rules.spec.ts runs the same bodies through the API's own schema and expects the same
 * verdict; whatever slips through is still refused by the API and shown at the field it names.
 */
export type FieldErrors = Record<string, string>;

export const OPERATIONS = ['chat', 'completions', 'embeddings', 'responses', 'messages'] as const;
const PERIOD = /^([1-9]\d{0,5})([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MAX_PERIOD_MS = 366 * UNIT_MS.d;
export const RATE_LIMIT_FIELDS = [
  'requestsPerMinute',
  'requestsPerHour',
  'requestsPerDay',
  'tokensPerMinute',
  'maxParallelRequests',
] as const;

export function validateKeyBody(body: Record<string, unknown>, now: number, { partial = false } = {}): FieldErrors {
  const errors: FieldErrors = {};
  const fail = (param: string, message: string) => {
    if (!(param in errors)) errors[param] = message;
  };
  if (!partial || body.name !== undefined) {
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    if (!name) fail('name', 'Give the key a name.');
    else if (name.length > 128) fail('name', 'At most 128 characters.');
  }
  if (typeof body.description === 'string' && body.description.length > 1024)
    fail('description', 'At most 1024 characters.');
  list(
    body.models,
    256,
    (m) => m.length >= 1 && m.length <= 256,
    'models',
    'A model name or pattern has 1 to 256 characters.',
    fail,
  );
  list(
    body.operations,
    OPERATIONS.length,
    (op) => (OPERATIONS as readonly string[]).includes(op),
    'operations',
    `Operations are ${OPERATIONS.join(', ')}.`,
    fail,
  );
  list(body.ipAllowlist, 256, isCidr, 'ipAllowlist', 'Must be an IPv4 or IPv6 address or CIDR range.', fail);
  list(body.providerIds, 64, (id) => id.length >= 1, 'providerIds', 'Choose providers from the list.', fail);
  if (typeof body.expiresAt === 'string') {
    const at = Date.parse(body.expiresAt);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(body.expiresAt) || Number.isNaN(at))
      fail('expiresAt', 'Not a date and time.');
    else if (at <= now) fail('expiresAt', 'Must be in the future.');
  }
  if (
    body.metadata !== undefined &&
    (typeof body.metadata !== 'object' || body.metadata === null || Array.isArray(body.metadata))
  )
    fail('metadata', 'Metadata is a JSON object.');
  if (body.rateLimits && typeof body.rateLimits === 'object') {
    const limits = body.rateLimits as Record<string, unknown>;
    for (const field of RATE_LIMIT_FIELDS) {
      if (limits[field] !== undefined && !positiveInt(limits[field]))
        fail(`rateLimits.${field}`, 'A whole number above 0.');
    }
  }
  if (body.budget && typeof body.budget === 'object') {
    const b = body.budget as Record<string, unknown>;
    if (typeof b.maxUsd !== 'number' || !(b.maxUsd > 0) || b.maxUsd > 1e9)
      fail('budget.maxUsd', 'An amount above $0 and at most $1,000,000,000.');
    if (b.period !== undefined && b.period !== null && periodMs(b.period) === null)
      fail('budget.period', 'A duration such as 1h, 1d, 7d or 30d (m, h, d; at most 366d).');
    if (b.alertThresholds !== undefined) {
      const t = b.alertThresholds;
      if (!Array.isArray(t) || t.length > 10 || !t.every((p) => Number.isInteger(p) && p >= 1 && p <= 100))
        fail('budget.alertThresholds', 'Up to 10 whole percentages from 1 to 100.');
    }
    if (b.webhookUrl !== undefined && b.webhookUrl !== null && !isHttpUrl(b.webhookUrl))
      fail('budget.webhookUrl', 'An http or https URL.');
  }
  return errors;
}

export function periodMs(period: unknown): number | null {
  const match = typeof period === 'string' ? PERIOD.exec(period) : null;
  if (!match) return null;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms <= MAX_PERIOD_MS ? ms : null;
}

/** An IPv4 or IPv6 address, optionally with a prefix length, as the API's isCidr reads it. */
export function isCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split('/');
  if (rest.length > 0) return false;
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : 0;
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

function isIPv6(s: string): boolean {
  const zone = s.indexOf('%');
  if (zone !== -1) {
    if (zone === s.length - 1) return false;
    s = s.slice(0, zone);
  }
  const lastColon = s.lastIndexOf(':');
  if (lastColon === -1) return false;
  // An IPv4 tail (::ffff:10.0.0.1) stands for the last two groups.
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return false;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const valid = (g: string[]) => g.every((x) => /^[0-9a-fA-F]{1,4}$/.test(x));
  if (halves.length === 1) return groups(s).length === 8 && valid(groups(s));
  const [left, right] = [groups(halves[0]), groups(halves[1])];
  return valid(left) && valid(right) && left.length + right.length < 8;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const positiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;

function list(
  value: unknown,
  max: number,
  ok: (item: string) => boolean,
  param: string,
  message: string,
  fail: (param: string, message: string) => void,
): void {
  if (value === undefined || value === null) return;
  if (!Array.isArray(value)) fail(param, message);
  else if (value.length > max) fail(param, `At most ${max} entries.`);
  else {
    const bad = value.findIndex((item) => typeof item !== 'string' || !ok(item));
    if (bad !== -1) fail(param, `${message} (${String(value[bad]) || 'empty'})`);
  }
}
