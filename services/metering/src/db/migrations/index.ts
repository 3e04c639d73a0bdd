import type { OwnedMigrations } from '@sluice/db';
import * as readModels from './2026112402_read_models';
import * as usageQueries from './2026112406_usage_queries';
import * as usageCleanedFields from './2026112420_usage_cleaned_fields';
import * as usageCorrections from './2026112422_usage_corrections';
import * as usageTraceId from './2026120401_usage_trace_id';
import * as messagesUsage from './2026120402_messages_usage';
import * as storedResponses from './2026120412_stored_responses';
import * as usageLedger from './2026121001_usage_ledger';

/**
 * Metering's tables: the usage record, its corrections, spend and stored responses, and the views
 * other services read them through (docs/architecture.md#who-owns-which-table). A name shared with
 * key-registry's list is the half of a migration both once ran as one.
 */
export const meteringMigrations: OwnedMigrations = {
  owner: 'metering',
  migrations: {
    '2026112402_read_models': readModels,
    '2026112406_usage_queries': usageQueries,
    '2026112420_usage_cleaned_fields': usageCleanedFields,
    '2026112422_usage_corrections': usageCorrections,
    '2026120401_usage_trace_id': usageTraceId,
    '2026120402_messages_usage': messagesUsage,
    '2026120412_stored_responses': storedResponses,
    '2026121001_usage_ledger': usageLedger,
  },
};
