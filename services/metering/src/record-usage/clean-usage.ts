import { storableText, unstorableIn, type UsageMessage } from '@sluice/contracts';

/** What the caller said about a call, the only fields metering may change to store it. */
export type CallerField = 'user' | 'metadata' | 'clientRequestId' | 'sessionId';

/** A usage message as metering stores it, naming the caller fields it had to clean. */
export type RecordableUsage = UsageMessage & { cleanedFields?: CallerField[] };

export type Cleaned = { ok: true; usage: RecordableUsage } | { ok: false; reason: string };

// Who pays, for what and when: stored exactly or not at all, since a changed value would bill
// another key or model. A real gateway never writes anything unstorable here.
const ACCOUNTING = [
  'requestId',
  'keyId',
  'model',
  'upstreamModel',
  'providerId',
  'operation',
  'clientIp',
  'startedAt',
] as const;

/**
 * Makes a usage message storable: a caller field holding what Postgres cannot store (a NUL, an
 * unpaired surrogate) is stored with U+FFFD in their place and named in `cleanedFields`; such a
 * value in an accounting field makes the message unrecordable.
 */
export function cleanUsage(usage: UsageMessage): Cleaned {
  for (const field of ACCOUNTING) {
    const why = unstorableIn(usage[field]);
    if (why) return { ok: false, reason: `${field} holds ${why === 'nul' ? 'a NUL' : 'an unpaired surrogate'}` };
  }
  const cleaned: CallerField[] = [];
  let out: RecordableUsage = usage;
  if (usage.user && unstorableIn(usage.user)) {
    out = { ...out, user: storableText(usage.user) };
    cleaned.push('user');
  }
  if (
    usage.metadata &&
    Object.entries(usage.metadata).some(([name, value]) => unstorableIn(name) || unstorableIn(value))
  ) {
    out = {
      ...out,
      metadata: Object.fromEntries(
        Object.entries(usage.metadata).map(([name, value]) => [storableText(name), storableText(value)]),
      ),
    };
    cleaned.push('metadata');
  }
  for (const field of ['clientRequestId', 'sessionId'] as const) {
    const value = usage[field];
    if (value && unstorableIn(value)) {
      out = { ...out, [field]: storableText(value) };
      cleaned.push(field);
    }
  }
  return { ok: true, usage: cleaned.length === 0 ? out : { ...out, cleanedFields: cleaned } };
}

/**
 * The call without what its caller said about it, for a message that cannot be stored even cleaned; null if it said
 * nothing.
 */
export function withoutCallerFields(usage: RecordableUsage): RecordableUsage | null {
  const dropped = (['user', 'metadata', 'clientRequestId', 'sessionId'] as const).filter(
    (field) => usage[field] != null,
  );
  if (dropped.length === 0) return null;
  const cleanedFields = [...new Set([...(usage.cleanedFields ?? []), ...dropped])];
  return { ...usage, user: null, metadata: null, clientRequestId: null, sessionId: null, cleanedFields };
}
