import type { Insertable } from 'kysely';
import type { UsageRecordsTable } from '@sluice/db';
import type { UsageMessage } from '@sluice/contracts';

/** What the caller said about its call, stored alike on a usage record and on its correction. */
export function callerColumns(usage: UsageMessage): Pick<Insertable<UsageRecordsTable>, 'client_request_id' | 'caller_user' | 'caller_metadata'> {
  return { client_request_id: usage.clientRequestId ?? null, caller_user: usage.user ?? null, caller_metadata: usage.metadata ? JSON.stringify(usage.metadata) : null };
}
