import { DomainError, ErrorCodes, type Actor } from '@sluice/contracts';
import { rewrapWebhookUrls, type WebhookRewrapReport } from '../../keys/webhook-vault';
import { runCommand } from '../../shared/command-store';
import type { Deps } from '../../shared/deps';
import { foldProvider, type ProviderEvent, type ProviderState } from '../provider';
import { listVaultRows, lockWrappedKey, rewrapSecret, type VaultRowRef } from '../vault/vault.repository';
import { decideRewrapSecret } from './rewrap-secret';

export interface RewrapReport {
  kekVersion: number;
  rows: number;
  rewrapped: number;
  alreadyCurrent: number;
  failed: { providerId: string; secretVersion: number; reason: string }[];
  /** The keys' sealed budget webhook URLs, re-wrapped the same way. */
  webhookUrls: WebhookRewrapReport;
}

const ATTEMPTS = 3;
type LockedRow = Awaited<ReturnType<typeof lockWrappedKey>>;

/**
 * Wraps every vault row's data key under the current key-encryption key, one row per transaction,
 * while the system serves: a row is readable under its old KEK until its transaction commits and
 * under the new one after. A row that fails (its KEK is no longer configured) is reported, not fatal.
 */
export async function rewrapVault(deps: Deps, payload: { actor: Actor }): Promise<RewrapReport> {
  const rows = await listVaultRows(deps.db);
  const report: Omit<RewrapReport, 'webhookUrls'> = {
    kekVersion: deps.keks.current,
    rows: rows.length,
    rewrapped: 0,
    alreadyCurrent: 0,
    failed: [],
  };
  for (const row of rows) {
    const ref = { providerId: row.provider_id, version: row.version };
    if (row.kek_version === deps.keks.current) {
      report.alreadyCurrent++;
      continue;
    }
    try {
      if (await rewrapRow(deps, ref, payload.actor)) report.rewrapped++;
      else report.alreadyCurrent++;
    } catch (err) {
      report.failed.push({ providerId: ref.providerId, secretVersion: ref.version, reason: reasonOf(err) });
    }
  }
  return { ...report, webhookUrls: await rewrapWebhookUrls(deps.db, deps.keks) };
}

async function rewrapRow(deps: Deps, row: VaultRowRef, actor: Actor): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      const now = deps.now();
      let locked: LockedRow;
      const events = await runCommand<ProviderState, ProviderEvent, LockedRow>(deps.db, {
        streamId: `provider-${row.providerId}`,
        streamType: 'provider',
        fold: foldProvider,
        loadContext: async (trx) => (locked = await lockWrappedKey(trx, row)),
        decide: (state, current) =>
          decideRewrapSecret(
            {
              type: 'RewrapSecret',
              providerId: row.providerId,
              secretVersion: row.version,
              wrappedUnder: current?.kek_version,
              currentKekVersion: deps.keks.current,
              now,
            },
            state,
          ),
        actor,
        now,
        alsoInTransaction: async (trx, decided) => {
          if (decided.length > 0 && locked)
            await rewrapSecret(trx, deps.keks, {
              ...row,
              wrappedKey: locked.wrapped_key,
              kekVersion: locked.kek_version,
            });
        },
      });
      return events.length > 0;
    } catch (err) {
      // A command on the same provider (a rotation) committed in between: read it again.
      if (err instanceof DomainError && err.code === ErrorCodes.conflict && attempt < ATTEMPTS) continue;
      throw err;
    }
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof DomainError) return err.message;
  const message = (err as Error)?.message ?? '';
  if (/master key version \d+ is not configured/.test(message)) return message;
  return 'the data key does not decrypt with the configured master key of its version';
}
