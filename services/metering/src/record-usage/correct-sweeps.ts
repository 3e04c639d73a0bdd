import type { Transaction } from 'kysely';
import type { Database } from '@sluice/db';
import { costNanosOfUsage, nanosOfUsd } from '@sluice/contracts';
import type { RecordableUsage } from './clean-usage';
import { reportColumns } from './report-columns';

type AddSpend = (
  keyId: string,
  requests: number,
  inputTokens: number,
  outputTokens: number,
  spendNanos: number,
) => void;

/**
 * A call that outlived its reservation was swept by policy: recorded at its worst case, flagged
 * `swept`. When its real report arrives after all, it corrects that record rather than counting
 * the call a second time: the report is appended to `usage_corrections` (once per call: the
 * primary key makes a redelivered or duplicated report a no-op; the log stays append-only) and
 * the key's spend and tokens move by the difference, the request count not at all. Reports of
 * calls that were not swept are plain redeliveries and change nothing.
 */
export async function correctSweeps(
  trx: Transaction<Database>,
  reports: readonly RecordableUsage[],
  addSpend: AddSpend,
): Promise<Set<string>> {
  const first = new Map<string, RecordableUsage>();
  for (const report of reports) if (!first.has(report.requestId)) first.set(report.requestId, report);
  const swept = await trx
    .selectFrom('usage_records')
    .select(['request_id', 'key_id', 'cost_usd', 'input_tokens', 'output_tokens'])
    .where('request_id', 'in', [...first.keys()])
    .where('swept', '=', true)
    .orderBy('request_id')
    .execute();
  if (swept.length === 0) return new Set();
  const inserted = await trx
    .insertInto('usage_corrections')
    .values(
      swept.map((row) => {
        const report = first.get(row.request_id)!;
        return Object.assign(reportColumns(report, costNanosOfUsage(report)), {
          caller_metadata: report.metadata ? JSON.stringify(report.metadata) : null,
        });
      }),
    )
    .onConflict((oc) => oc.column('request_id').doNothing())
    .returning('request_id')
    .execute();
  const corrected = new Set(inserted.map((row) => row.request_id));
  for (const row of swept) {
    if (!corrected.has(row.request_id)) continue;
    const report = first.get(row.request_id)!;
    addSpend(
      row.key_id,
      0,
      report.inputTokens - row.input_tokens,
      report.outputTokens - row.output_tokens,
      costNanosOfUsage(report) - nanosOfUsd(row.cost_usd),
    );
  }
  return corrected;
}
