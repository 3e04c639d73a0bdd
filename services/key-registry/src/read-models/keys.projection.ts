import { sql, type Kysely, type Updateable } from 'kysely';
import type { KeySettingsChange, SluiceEvent } from '@sluice/contracts';
import type { Database, KeysViewTable } from '@sluice/db';
import { periodStartAfterChange } from '../keys/key';

const jsonOrNull = (value: object | null) => (value ? JSON.stringify(value) : null);

/** keys_view: one row per key, its settings and lifecycle state; every change bumps `version`. */
export async function projectKeyEvent(db: Kysely<Database>, event: SluiceEvent): Promise<void> {
  switch (event.type) {
    case 'KeyCreated': {
      const d = event.data;
      await db
        .insertInto('keys_view')
        .values({
          id: d.keyId,
          name: d.name,
          description: d.description,
          status: 'active',
          key_hash: d.keyHash,
          key_hint: d.keyHint,
          models: jsonOrNull(d.models),
          operations: jsonOrNull(d.operations),
          expires_at: d.expiresAt,
          metadata: JSON.stringify(d.metadata),
          created_at: d.createdAt,
          revoked_at: null,
          version: 1,
          ip_allowlist: jsonOrNull(d.ipAllowlist),
          provider_ids: jsonOrNull(d.providerIds),
          previous_key_hash: null,
          previous_key_expires_at: null,
          updated_at: null,
          rate_limits: jsonOrNull(d.rateLimits),
          budget: jsonOrNull(d.budget),
          budget_period_start: d.createdAt,
          budget_thresholds_reached: '[]',
        })
        .execute();
      return;
    }
    case 'KeyUpdated': {
      const d = event.data;
      const columns: Updateable<KeysViewTable> = { ...settingsColumns(d.after), updated_at: d.updatedAt };
      if (d.after.budget !== undefined) {
        // The same rule as the aggregate: a new budget or period counts from the period containing the change.
        const row = await db.selectFrom('keys_view').select('created_at').where('id', '=', d.keyId).executeTakeFirst();
        const start = row
          ? periodStartAfterChange(
              d.before.budget ?? null,
              d.after.budget,
              new Date(row.created_at).toISOString(),
              d.updatedAt,
            )
          : null;
        if (start) Object.assign(columns, { budget_period_start: start, budget_thresholds_reached: '[]' });
      }
      return change(db, d.keyId, columns);
    }
    case 'KeyRegenerated': {
      const d = event.data;
      return change(db, d.keyId, {
        key_hash: d.keyHash,
        key_hint: d.keyHint,
        previous_key_hash: d.previousKeyHash,
        previous_key_expires_at: d.previousKeyExpiresAt,
        updated_at: d.regeneratedAt,
      });
    }
    case 'KeyDisabled':
      return change(db, event.data.keyId, { status: 'disabled', updated_at: event.data.disabledAt });
    case 'KeyEnabled':
      return change(db, event.data.keyId, { status: 'active', updated_at: event.data.enabledAt });
    case 'KeyRevoked':
      return change(db, event.data.keyId, {
        status: 'revoked',
        revoked_at: event.data.revokedAt,
        updated_at: event.data.revokedAt,
      });
    case 'KeyBudgetReset':
      return change(db, event.data.keyId, {
        budget_period_start: event.data.periodStart,
        budget_thresholds_reached: '[]',
      });
    case 'KeyBudgetThresholdReached': {
      const reached = sql<string>`jsonb_build_array(${event.data.thresholdPercent}::int)`;
      await db
        .updateTable('keys_view')
        .set((eb) => ({
          budget_thresholds_reached: sql<string>`case when budget_thresholds_reached @> ${reached} then budget_thresholds_reached else budget_thresholds_reached || ${reached} end`,
          version: eb('version', '+', 1),
        }))
        .where('id', '=', event.data.keyId)
        .execute();
      return;
    }
    default:
      return;
  }
}

async function change(db: Kysely<Database>, keyId: string, columns: Updateable<KeysViewTable>): Promise<void> {
  await db
    .updateTable('keys_view')
    .set((eb) => ({ ...columns, version: eb('version', '+', 1) }))
    .where('id', '=', keyId)
    .execute();
}

/** The columns of the settings a change names; the others stay as they are. */
function settingsColumns(s: KeySettingsChange): Updateable<KeysViewTable> {
  const columns: Updateable<KeysViewTable> = {};
  if (s.name !== undefined) columns.name = s.name;
  if (s.description !== undefined) columns.description = s.description;
  if (s.models !== undefined) columns.models = jsonOrNull(s.models);
  if (s.operations !== undefined) columns.operations = jsonOrNull(s.operations);
  if (s.ipAllowlist !== undefined) columns.ip_allowlist = jsonOrNull(s.ipAllowlist);
  if (s.providerIds !== undefined) columns.provider_ids = jsonOrNull(s.providerIds);
  if (s.expiresAt !== undefined) columns.expires_at = s.expiresAt;
  if (s.metadata !== undefined) columns.metadata = JSON.stringify(s.metadata);
  if (s.rateLimits !== undefined) columns.rate_limits = jsonOrNull(s.rateLimits);
  if (s.budget !== undefined) columns.budget = jsonOrNull(s.budget);
  return columns;
}
